// Panel profiles: the physical facts about a display model that rendering and delivery depend on.

export interface PanelProfile {
  id: string;
  name: string;
  width: number;
  height: number;
  /** 'bw': one plane (black); 'bwr': a black and a red plane */
  colors: 'bw' | 'bwr';
  /** grey level (0–255) at or below which a pixel becomes ink */
  threshold: number;
  /** partial refreshes in a row before the next update must be a full refresh (ghosting) */
  maxPartialRefreshes: number;
}

export const PANELS = {
  'epd-7in5-bw': { id: 'epd-7in5-bw', name: '7.5" 800×480 black/white', width: 800, height: 480, colors: 'bw', threshold: 128, maxPartialRefreshes: 20 },
  // Tri-colour panels cannot refresh partially: every update is a full refresh.
  'epd-7in5-bwr': { id: 'epd-7in5-bwr', name: '7.5" 800×480 black/white/red', width: 800, height: 480, colors: 'bwr', threshold: 128, maxPartialRefreshes: 0 },
} as const satisfies Record<string, PanelProfile>;

export type PanelId = keyof typeof PANELS;

export const PANEL_IDS = Object.keys(PANELS) as [PanelId, ...PanelId[]];

export function panelById(id: string): PanelProfile | undefined {
  return (PANELS as Record<string, PanelProfile>)[id];
}

// The controller's side of a display's message counter (docs/protocol.md, "Authentication of device messages"): a
// tagged message is used only with a `ctr` above the highest accepted from that display — anything else is a replay
// of a genuine message, refused — except an exact copy of one of the last few accepted (the same tag), which MQTT's
// at-least-once delivery produces and which is dropped without a fault. The highest value is persisted with the
// display's delivery record; the recent tags only live in memory (a restart forgets them, which only turns a late
// duplicate into a reported replay).

/** how many recently accepted tags are remembered to recognise duplicates */
export const RECENT_TAGS = 16;

export type CounterVerdict = 'accepted' | 'replayed' | 'duplicate';

export class MessageCounter {
  private readonly recent: string[] = [];

  /** `highest`: the highest ctr accepted so far (null: none since the last reset) */
  constructor(public highest: number | null = null) {}

  check(ctr: number, tag: string): CounterVerdict {
    if (this.highest !== null && ctr <= this.highest) return this.recent.includes(tag) ? 'duplicate' : 'replayed';
    this.highest = ctr;
    this.recent.push(tag);
    if (this.recent.length > RECENT_TAGS) this.recent.shift();
    return 'accepted';
  }
}

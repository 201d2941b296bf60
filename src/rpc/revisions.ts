/**
 * "Drop if older than what I have seen", for receivers of notifications: messages can arrive late,
 * twice, or out of order across a reconnection, and every notified resource carries its
 * `revision_number`. Agents keep one tracker and ask it before acting on a message. Memory is
 * bounded: past `maxEntries` resources the least recently updated ones are forgotten (a message
 * about a forgotten resource is accepted; the periodic resync corrects what that lets through).
 */

export class RevisionTracker {
  private readonly newest = new Map<string, number>();

  constructor(private readonly maxEntries = 65_536) {}

  /**
   * True, and `revision` remembered, when it is not older than the newest seen for that resource
   * (the same revision again is accepted: handlers are idempotent); false when the message is
   * stale and should be dropped.
   */
  accept(resourceType: string, id: string, revision: number): boolean {
    const key = `${resourceType}/${id}`;
    const seen = this.newest.get(key);
    if (seen !== undefined && revision < seen) return false;
    this.newest.delete(key); // re-inserted last: the map's order is the order of last updates
    this.newest.set(key, revision);
    if (this.newest.size > this.maxEntries) this.newest.delete(this.newest.keys().next().value as string);
    return true;
  }

  /** The newest revision seen, if remembered. */
  seen(resourceType: string, id: string): number | undefined {
    return this.newest.get(`${resourceType}/${id}`);
  }
}

/**
 * Adaptive concurrency that tells a rate cap from quota noise.
 *
 * A 429 means one of two things. Under a true cap of R requests/s the accepted rate plateaus at R
 * whatever is sent: sending less loses nothing, and sending about R makes the 429s rare. Under
 * quota noise (requests refused at random) the share of 429s is the same at any rate and the
 * accepted rate follows what is sent: sending less only loses throughput. Halving the window on
 * every 429, as this limiter once did, ran a 30%-429 endpoint at a sixth of its capacity.
 *
 * So a 429 alone changes no window: the request waits out its retry-after (in the pipeline) while
 * its slot serves another. What decides is measured in rounds of eight latencies and at least
 * twice the window in answers: answers per second, their mean latency, the share of 429s and the
 * mean requests in flight. After a round with 429s the limiter probes for a shorter round (three
 * latencies): it sends at 90% of the accepted rate (the window that carries it, by Little's law:
 * rate × latency), and a 429 answered at once now keeps its slot for its retry-after (one that
 * took as long as answers do used its slot's share already; see `holdsSlot`). A cap shows in the
 * probe as clearly fewer 429s (a quarter fewer as a share, at least) or clearly more answers per
 * request in flight (10% more: the slots no longer go to refusals), each beyond 2.5 standard
 * errors; the limiter then stays paced. Noise shows neither: the window goes back to the full
 * concurrency, and 429s at about that share are taken as noise for ten seconds without another
 * probe. On the 30%-429 benchmark the probe costs about 0.09 s, once (0.13 s when it lasted four
 * latencies and every 429 held its slot).
 *
 * Paced, a round with few 429s (a fifth at most) keeps the window and one with none widens it by
 * a tenth. One with more cuts it, by a tenth to a fifth, towards 5% over what carries the accepted
 * rate of the last three rounds (a cap's own window or bucket makes one round's rate jumpy, and
 * the round after a cut may still pay for the one before it, so cuts skip a round). Should a round
 * after a cut still show no cap against the last open round, the 429s were not the pace's doing:
 * the limiter opens up again and the rounds decide afresh. A fractional window is honoured on
 * average (see `room`), so a cap a few requests wide is carried too.
 */
export type Outcome = "ok" | "rate_limited" | "failed";

/** What the limiter learns from one attempt besides its outcome. */
export interface AttemptInfo {
  /** When the attempt was sent (the clock's time when its slot was granted). */
  sentAt?: number;
}

interface Round {
  ok: number;
  limited: number;
  /** Answers per millisecond. */
  accepted: number;
  /** Mean latency of the round's answers. */
  latency: number;
  /** Mean requests in flight. */
  inFlight: number;
  duration: number;
}

/** A round lasts at least this many latencies. */
const ROUND_LATENCIES = 8;
/** A probe's round is shorter: what it has to show (or not) is large. */
const PROBE_LATENCIES = 3;
/** A probe sends at this share of the accepted rate. */
const PROBE = 0.9;
/** A paced cut leaves at least this share of the window (and takes a tenth at least). */
const CUT_MOST = 0.8;
/** A paced round with no more than this share of 429s keeps its window. */
const FEW = 0.2;
/** How long 429s at the share found to be noise are taken as noise without a new probe. */
const NOISE_KNOWN_MS = 10_000;
/** Standard errors that make a difference between two rounds more than chance. */
const SIGNIFICANT = 2.5;

export class AdaptiveLimiter {
  private window: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Mean latency of answered attempts (moving average), once there is one. */
  private latency: number | undefined;
  /** Sending at the accepted rate: a probe, or (once `confirmed`) a cap found. */
  private paced = false;
  private confirmed = false;
  /** The last paced round showed no cap, and the window was cut for it. */
  private cutBlind = false;
  /** The last paced round cut the window. */
  private cutLast = false;
  /** The last round before pacing began: what a paced round is compared with. */
  private openRound: Round | undefined;
  /** 429s found to come at random, at about this share, until then. */
  private noise: { share: number; until: number } | undefined;
  private readonly recent: Round[] = [];
  /** Spreads a fractional window over grants (see `room`). */
  private dither = 0;
  // The round being measured. Attempts sent before the last change of window count in none.
  private changedAt: number;
  private roundStart: number;
  private ok = 0;
  private limited = 0;
  private tookSum = 0;
  /** Requests in flight × milliseconds since the round started. */
  private area = 0;
  private areaSince: number;

  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {
    this.window = max;
    this.changedAt = now();
    this.roundStart = this.changedAt;
    this.areaSince = this.changedAt;
  }

  /** The current window (its whole part), for progress lines and tests. */
  get limit(): number {
    return Math.max(1, Math.floor(this.window));
  }

  /** Whether requests are paced to the accepted rate (probing, or at a cap found). */
  get rateCapped(): boolean {
    return this.paced;
  }

  /**
   * Whether a 429 that took `tookMs` keeps its slot for its retry-after. Paced, the window is the
   * pace: a slot sends again once its request is answered, so the window carries window/latency
   * requests a second. A 429 answered at once, as a cap's usually is, took almost none of its slot's
   * time; freed at once, the slot would send again at once, so it waits out the retry-after. While
   * probing, a 429 that took as long as answers take (half their mean latency at least) took its
   * slot's share already, as an answer would: it gives the slot back, and the probe paces as it
   * should without holding slots that quota noise would have used. At a cap found, every 429 keeps
   * its slot: the paced rounds' cuts and widenings were made for that.
   */
  holdsSlot(tookMs: number): boolean {
    if (!this.paced) return false;
    if (this.confirmed || this.latency === undefined) return true;
    return tookMs < this.latency / 2;
  }

  async acquire(): Promise<void> {
    if (this.inFlight < this.room()) {
      this.grant();
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Records an attempt's outcome and gives its slot back. */
  release(outcome: Outcome, info: AttemptInfo = {}): void {
    this.record(outcome, info);
    this.free();
  }

  /** Records an attempt's outcome; its slot stays taken until `free`. */
  record(outcome: Outcome, info: AttemptInfo = {}): void {
    const now = this.now();
    if (outcome === "ok" && info.sentAt !== undefined) {
      const took = now - info.sentAt;
      if (this.latency === undefined) {
        // The first round starts with the first answer: none could come before.
        this.roundStart = now;
        this.resetRound();
        this.areaSince = now;
      }
      this.latency = this.latency === undefined ? took : 0.8 * this.latency + 0.2 * took;
      if ((info.sentAt ?? now) >= this.changedAt) this.tookSum += took;
    }
    if ((info.sentAt ?? now) >= this.changedAt) {
      if (outcome === "ok") this.ok++;
      if (outcome === "rate_limited") this.limited++;
    }
    this.maybeEndRound(now);
  }

  /** Gives a slot back, straight to the next waiter when there is room. */
  free(): void {
    this.track(-1);
    this.handOut();
  }

  /**
   * Requests the next grant may bring in flight: the window's whole part, and one more for its
   * fractional part's share of grants (a window of 2.5 lets 3 in half the time), so that a window
   * a few requests wide still carries a rate between two whole windows.
   */
  private room(): number {
    const whole = Math.floor(this.window);
    return this.window - whole > this.dither ? whole + 1 : Math.max(1, whole);
  }

  private grant(): void {
    this.dither = (this.dither + 0.618034) % 1;
    this.track(1);
  }

  private handOut(): void {
    while (this.waiting.length > 0 && this.inFlight < this.room()) {
      this.grant();
      this.waiting.shift()?.();
    }
  }

  private track(delta: number): void {
    const now = this.now();
    const from = Math.max(this.areaSince, this.roundStart);
    if (now > from) this.area += this.inFlight * (now - from);
    this.areaSince = Math.max(this.areaSince, now);
    this.inFlight += delta;
  }

  private maybeEndRound(now: number): void {
    // No round before an answer says how long one takes: 429s alone (a burst, a spent quota) say
    // nothing about the rate the endpoint accepts.
    const elapsed = now - this.roundStart;
    const latencies = this.paced && !this.confirmed ? PROBE_LATENCIES : ROUND_LATENCIES;
    if (this.latency === undefined || elapsed <= 0 || elapsed < latencies * this.latency) return;
    if (this.ok + this.limited < Math.max(16, 2 * this.limit)) return;
    this.track(0);
    const round: Round = {
      ok: this.ok,
      limited: this.limited,
      accepted: this.ok / elapsed,
      latency: this.ok > 0 ? this.tookSum / this.ok : this.latency,
      inFlight: this.area / elapsed,
      duration: elapsed,
    };
    this.resetRound();
    this.roundStart = now;
    this.decide(round, now);
    this.recent.push(round);
    if (this.recent.length > 2) this.recent.shift();
  }

  private decide(round: Round, now: number): void {
    if (this.paced) {
      this.decidePaced(round, now);
      return;
    }
    if (round.limited === 0) {
      if (this.window < this.max) this.setWindow(this.max, now);
      return;
    }
    if (round.ok === 0) return;
    if (this.noise && now < this.noise.until && !grewBeyond(round, this.noise.share)) return;
    this.paced = true;
    this.openRound = round;
    this.setWindow(PROBE * round.accepted * round.latency, now);
  }

  private decidePaced(round: Round, now: number): void {
    const open = this.openRound as Round;
    const blind = !capShows(round, open);
    if (blind && (!this.confirmed || this.cutBlind)) {
      // Pacing did not make the 429s rarer, in the probe or again after a cut: they are noise.
      this.paced = false;
      this.confirmed = false;
      this.cutBlind = false;
      this.cutLast = false;
      this.noise = { share: share(open), until: now + NOISE_KNOWN_MS };
      this.setWindow(this.max, now);
      return;
    }
    this.confirmed = true;
    this.cutBlind = blind;
    const cutBefore = this.cutLast;
    this.cutLast = false;
    if (blind || share(round) > FEW) {
      // A cap remembers (a window of its own, a bucket drained): the round after a cut may still
      // pay for the one before it, so a second cut in a row waits a round, unless the cap is
      // nowhere in sight.
      if (cutBefore && !blind) return;
      const rounds = [round, ...this.recent];
      const carry = rounds.reduce((sum, r) => sum + r.accepted * r.latency, 0) / rounds.length;
      this.setWindow(Math.min(Math.max(1.05 * carry, CUT_MOST * this.window), 0.9 * this.window), now);
      this.cutLast = true;
    } else if (round.limited === 0 && round.inFlight >= 0.8 * this.limit) {
      this.setWindow(1.1 * this.window, now);
    }
  }

  private resetRound(): void {
    this.ok = 0;
    this.limited = 0;
    this.tookSum = 0;
    this.area = 0;
  }

  private setWindow(window: number, now: number): void {
    const next = Math.min(this.max, Math.max(1, window));
    if (next !== this.window) {
      this.changedAt = now;
      // The next round starts once the requests sent before the change are answered.
      this.track(0);
      this.roundStart = now + (this.latency ?? 0);
      this.resetRound();
    }
    this.window = next;
    this.handOut();
  }
}

function share(r: Round): number {
  return r.limited / (r.ok + r.limited);
}

/**
 * Whether a paced round shows a cap against the open round before it: a quarter fewer 429s (as a
 * share), or 10% more answers per request in flight, each beyond chance.
 */
function capShows(paced: Round, open: Round): boolean {
  const nP = paced.ok + paced.limited;
  const nO = open.ok + open.limited;
  const pooled = (paced.limited + open.limited) / (nP + nO);
  const shareSe = Math.sqrt(pooled * (1 - pooled) * (1 / nP + 1 / nO));
  if (share(paced) <= 0.75 * share(open) && share(open) - share(paced) >= SIGNIFICANT * shareSe) return true;
  // With the same answers per slot-time, answers fall to the two rounds by their slot-time.
  const areaP = paced.inFlight * paced.duration;
  const areaO = open.inFlight * open.duration;
  const answers = paced.ok + open.ok;
  if (areaP <= 0 || areaO <= 0 || answers === 0) return false;
  const q = areaP / (areaP + areaO);
  const z = (paced.ok - answers * q) / Math.sqrt(answers * q * (1 - q));
  return paced.ok / areaP >= 1.1 * (open.ok / areaO) && z >= SIGNIFICANT;
}

/** Whether the round's share of 429s is above `base` by five points and beyond chance. */
function grewBeyond(round: Round, base: number): boolean {
  const n = round.ok + round.limited;
  const se = Math.sqrt(Math.max(base * (1 - base), 0.01) / n);
  return share(round) - base > Math.max(0.05, 3 * se);
}

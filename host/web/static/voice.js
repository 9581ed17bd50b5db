// The hall's voice: each call is spoken in Chinese then English, one after another. A new call
// waits for the one being spoken (never cuts it off); audio comes from the host (espeak-ng).
import { api, ApiError } from "./common.js";

const STALE_MS = 120000; // a call still unspoken after 2 minutes is dropped, not announced late
const MAX_PENDING = 24;
const LANGS = ["zh", "en"];

export class VoiceQueue {
  constructor(token, { onBlocked = () => {}, onError = () => {} } = {}) {
    this.token = token;
    this.onBlocked = onBlocked;
    this.onError = onError;
    this.pending = [];
    this.busy = false;
    this.unblock = null;
    // For tests and technicians: what was spoken, in order (bounded), and a playback speed.
    this.played = [];
    this.rate = 1;
    window.branchqVoice = this;
  }

  /** Queue "number, counter" in both languages; audio is fetched at once, played in turn. */
  announce(number, counter) {
    const enqueued = Date.now();
    for (const lang of LANGS) {
      const audio = this.fetchAudio(number, counter, lang);
      audio.catch(() => {}); // handled when its turn comes
      this.pending.push({ number, counter, lang, enqueued, audio });
    }
    while (this.pending.length > MAX_PENDING) this.pending.shift();
    this.run();
  }

  async fetchAudio(number, counter, lang) {
    const query = new URLSearchParams({ number, counter: String(counter), lang });
    const response = await fetch(`/api/v1/voice/call?${query}`, {
      headers: { Authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) throw new ApiError(response.status, "voice", `voice ${response.status}`);
    return URL.createObjectURL(await response.blob());
  }

  async run() {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.pending.length) {
        const job = this.pending.shift();
        if (Date.now() - job.enqueued > STALE_MS) continue;
        let url;
        try {
          url = await job.audio;
        } catch (err) {
          this.onError(err);
          continue;
        }
        try {
          const duration = await this.play(url);
          this.played.push({ number: job.number, counter: job.counter, lang: job.lang, duration });
          if (this.played.length > 100) this.played.shift();
        } finally {
          URL.revokeObjectURL(url);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Play one clip to its end; if the browser blocks autoplay, wait for a click and retry. */
  async play(url) {
    for (;;) {
      const audio = new Audio(url);
      audio.playbackRate = this.rate;
      const ended = new Promise((resolve) => {
        audio.onended = resolve;
        audio.onerror = resolve;
      });
      try {
        await audio.play();
      } catch (err) {
        if (err.name !== "NotAllowedError") return 0;
        await new Promise((resolve) => {
          this.onBlocked(true);
          this.unblock = resolve;
        });
        this.onBlocked(false);
        continue;
      }
      await ended;
      return audio.duration || 0;
    }
  }

  /** Called from a user gesture (click on the "enable sound" banner). */
  enable() {
    if (this.unblock) this.unblock();
    this.unblock = null;
  }
}

// One <video> driven by hls.js or dash.js, loaded on first use from /vendor (their UMD builds
// define window.Hls and window.dashjs). The page sees renditions as { index, id, label } and
// hears which one is on screen (hls.js LEVEL_SWITCHED, dash.js QUALITY_CHANGE_RENDERED).

const VENDOR = { hls: { src: '/vendor/hls.js', global: 'Hls' }, dash: { src: '/vendor/dash.js', global: 'dashjs' } };
const loading = new Map();

function loadVendor(engine) {
  const { src, global } = VENDOR[engine];
  if (window[global]) return Promise.resolve(window[global]);
  let p = loading.get(engine);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.async = true;
      script.onload = () => (window[global] ? resolve(window[global]) : reject(new Error(`${src} did not define ${global}`)));
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    });
    // A failed load may be retried later (e.g. the server was restarting).
    p.catch(() => loading.delete(engine));
    loading.set(engine, p);
  }
  return p;
}

function kbps(bps) {
  return `${Math.round(bps / 1000)} kb/s`;
}

function rendition(index, id, height, bandwidth) {
  const size = height ? `${height}p` : id;
  return { index, id, label: bandwidth ? `${size} · ${kbps(bandwidth)}` : size, height, bandwidth };
}

/** The rendition id in a media playlist URL: `…/<id>/index.m3u8`. */
function idFromUrl(url, fallback) {
  const m = /([^/?#]+)\/[^/?#]+\.m3u8(?:[?#].*)?$/.exec(url ?? '');
  return m ? decodeURIComponent(m[1]) : fallback;
}

/**
 * A player for one source. `events`: renditions(list), current(rendition | null), status(text).
 * `select('auto' | index)` picks the quality.
 */
export class Player {
  constructor(video, events) {
    this.video = video;
    this.events = events;
    this.engine = null;
    this.impl = null;
    this.renditions = [];
    this.generation = 0;
  }

  /** Plays `url` with `engine` ('hls' | 'dash'), replacing whatever played before. */
  async open(engine, url) {
    this.close();
    const generation = ++this.generation;
    this.engine = engine;
    this.events.status(`Loading ${engine === 'hls' ? 'hls.js' : 'dash.js'}…`);
    let lib;
    try {
      lib = await loadVendor(engine);
    } catch (err) {
      if (generation === this.generation) this.events.status(err.message);
      return;
    }
    if (generation !== this.generation) return; // closed or reopened meanwhile
    this.impl = engine === 'hls' ? this.openHls(lib, url) : this.openDash(lib, url);
  }

  select(value) {
    if (!this.impl) return;
    this.impl.select(value === 'auto' ? 'auto' : Number(value));
  }

  close() {
    this.generation++;
    this.impl?.destroy();
    this.impl = null;
    this.renditions = [];
    this.video.removeAttribute('src');
    this.video.load();
  }

  setRenditions(list) {
    this.renditions = list;
    this.events.renditions(list);
  }

  current(r) {
    this.events.current(r ?? null);
  }

  openHls(Hls, url) {
    const { video, events } = this;
    if (!Hls.isSupported()) {
      events.status('This browser cannot play HLS through Media Source Extensions.');
      return null;
    }
    const hls = new Hls({ enableWorker: true });
    const list = () => hls.levels.map((l, i) => rendition(i, idFromUrl(l.uri ?? l.url?.[0], `level-${i}`), l.height, l.bitrate));
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      this.setRenditions(list());
      events.status('Playing (HLS).');
      video.play().catch(() => events.status('Press play to start.'));
    });
    hls.on(Hls.Events.LEVELS_UPDATED, () => this.setRenditions(list()));
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => this.current(this.renditions[data.level]));
    let mediaRecoveries = 0;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      // hls.js's documented recovery: reload on network errors, rebuild buffers on media errors (once or twice).
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        events.status(`Network error (${data.details}), retrying…`);
        hls.startLoad();
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 2) {
        events.status(`Media error (${data.details}), recovering…`);
        hls.recoverMediaError();
      } else {
        events.status(`Playback failed: ${data.details}`);
        hls.destroy();
      }
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    return {
      // currentLevel switches at once (flushing the buffer); -1 hands the choice back to ABR.
      select: (value) => (hls.currentLevel = value === 'auto' ? -1 : value),
      destroy: () => hls.destroy(),
    };
  }

  openDash(dashjs, url) {
    const { video, events } = this;
    const player = dashjs.MediaPlayer().create();
    // Live DASH needs the server's clock: read it from the MPD response's Date header rather
    // than dash.js's default time server on the internet (the dashboard calls no third party).
    const clock = { scheme: 'urn:mpeg:dash:utc:http-head:2014', value: new URL(url, location.href).href };
    player.updateSettings({ streaming: { utcSynchronization: { defaultTimingSource: clock } } });
    const ev = dashjs.MediaPlayer.events;
    // dash.js 5 names qualities by representation; 4 by bitrate-list index.
    const v5 = typeof player.getRepresentationsByType === 'function';
    const list = () =>
      v5
        ? player.getRepresentationsByType('video').map((r, i) => rendition(i, r.id, r.height, r.bandwidth))
        : player.getBitrateInfoListFor('video').map((b, i) => rendition(i, `q${b.qualityIndex}`, b.height, b.bitrate));
    const byRepresentation = (r) => this.renditions.find((x) => x.id === r?.id);
    let rendered = false;
    const refresh = () => {
      this.setRenditions(list());
      if (!rendered && v5) this.current(byRepresentation(player.getCurrentRepresentationForType('video')));
    };
    player.on(ev.STREAM_INITIALIZED, () => {
      refresh();
      events.status('Playing (DASH).');
    });
    if (ev.PERIOD_SWITCH_COMPLETED) player.on(ev.PERIOD_SWITCH_COMPLETED, refresh);
    player.on(ev.QUALITY_CHANGE_RENDERED, (e) => {
      if (e.mediaType !== 'video') return;
      rendered = true;
      this.current(v5 ? byRepresentation(e.newRepresentation) : this.renditions[e.newQuality]);
    });
    player.on(ev.ERROR, (e) => events.status(`Playback error: ${e.error?.message ?? e.error?.code ?? 'unknown'}`));
    // Until a switch is rendered, show the representation dash.js started with.
    const onPlaying = () => {
      if (!rendered && v5) this.current(byRepresentation(player.getCurrentRepresentationForType('video')));
    };
    video.addEventListener('playing', onPlaying);
    player.initialize(video, url, true);
    return {
      select: (value) => {
        const auto = value === 'auto';
        player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
        if (auto) return;
        if (v5) player.setRepresentationForTypeById('video', this.renditions[value].id, true);
        else player.setQualityFor('video', value, true);
      },
      destroy: () => {
        video.removeEventListener('playing', onPlaying);
        player.destroy();
      },
    };
  }
}

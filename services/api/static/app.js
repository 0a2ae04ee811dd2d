// The Headwater dashboard: live sessions with a player, channels and their keys, recordings
// and VOD. Plain DOM, text only (never innerHTML with API data). A stream key is shown once in
// a dialog and wiped from the DOM when the dialog closes; it is never stored or logged.

import { api, ApiError, forgetToken, storeToken, storedToken } from './api.js';
import * as fmt from './format.js';
import { $, h, setText } from './dom.js';
import { confirmAction, showKey } from './dialogs.js';
import { Player } from './player.js';

const POLL_MS = 2000;
const VOD_POLL_MS = 2000;

const statusEl = $('status');
function announce(text) {
  statusEl.textContent = text;
}

function report(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut('The admin token was refused: sign in again.');
    return;
  }
  announce(err instanceof Error ? err.message : String(err));
}

// ---- player --------------------------------------------------------------------------------

const video = $('video');
const quality = $('quality');
const currentOut = $('current-rendition');
const playerSection = $('player-section');
/** What the player shows: { title, playback: { hls, dash } }. */
let playing = null;

const player = new Player(video, {
  renditions(list) {
    const keep = quality.value;
    quality.replaceChildren(
      h('option', { value: 'auto' }, 'Auto'),
      ...list.map((r) => h('option', { value: String(r.index), dataset: { renditionId: r.id } }, r.label)),
    );
    quality.value = [...quality.options].some((o) => o.value === keep) ? keep : 'auto';
    quality.disabled = list.length === 0;
  },
  current(r) {
    setText(currentOut, r ? r.label : '–');
    if (r) currentOut.dataset.renditionId = r.id;
    else delete currentOut.dataset.renditionId;
  },
  status(text) {
    setText($('player-status'), text);
  },
});

function engine() {
  return document.querySelector('input[name="engine"]:checked').value;
}

function play(title, playback) {
  playing = { title, playback };
  setText($('player-name'), title);
  playerSection.hidden = false;
  startPlayback();
}

function startPlayback() {
  if (!playing) return;
  quality.replaceChildren(h('option', { value: 'auto' }, 'Auto'));
  quality.disabled = true;
  player.events.current(null);
  const e = engine();
  playerSection.dataset.engine = e;
  void player.open(e, e === 'hls' ? playing.playback.hls : playing.playback.dash);
}

for (const radio of document.querySelectorAll('input[name="engine"]')) radio.addEventListener('change', startPlayback);
quality.addEventListener('change', () => player.select(quality.value));
$('player-close').addEventListener('click', () => {
  player.close();
  playing = null;
  playerSection.hidden = true;
});

// ---- live sessions -------------------------------------------------------------------------

const channelNames = new Map();
const sessionRows = new Map();

function sessionRow(s) {
  const cells = {
    channel: h('th', { scope: 'row' }),
    video: h('td', { dataset: { testid: 'session-video' } }),
    audio: h('td', { dataset: { testid: 'session-audio' } }),
    resolution: h('td', { dataset: { testid: 'session-resolution' } }),
    bitrate: h('td', { class: 'num', dataset: { testid: 'session-bitrate' } }),
    fps: h('td', { class: 'num', dataset: { testid: 'session-fps' } }),
    uptime: h('td', { class: 'num', dataset: { testid: 'session-uptime' } }),
    node: h('td', { dataset: { testid: 'session-node' } }),
  };
  const button = h('button', { type: 'button', dataset: { testid: 'session-play' } }, 'Play');
  const row = h('tr', { dataset: { testid: 'session-row', sessionId: s.sessionId, channelId: s.channelId } }, ...Object.values(cells), h('td', {}, button));
  const entry = { row, cells, button, session: s };
  button.addEventListener('click', () => {
    const { session } = entry;
    if (session.playback) play(channelNames.get(session.channelId) ?? session.channelId, session.playback);
  });
  return entry;
}

function updateSessionRow(entry, s) {
  entry.session = s;
  const { cells, button } = entry;
  const name = channelNames.get(s.channelId) ?? s.channelId;
  setText(cells.channel, name);
  const videos = s.tracks.filter((t) => t.kind === 'video');
  const audios = s.tracks.filter((t) => t.kind === 'audio');
  setText(cells.video, videos.map(fmt.codecLabel).join(', ') || '–');
  setText(cells.audio, audios.map((t) => `${fmt.codecLabel(t)}${t.sampleRate ? ` ${t.sampleRate / 1000} kHz` : ''}${t.channels ? ` ${t.channels} ch` : ''}`).join(', ') || '–');
  const main = videos[0];
  setText(cells.resolution, main?.width && main?.height ? `${main.width}×${main.height}` : '–');
  setText(cells.bitrate, fmt.bitrate(s.bitrateBps));
  setText(cells.fps, fmt.fps(s.fps ?? main?.frameRate));
  setText(cells.uptime, fmt.clock(s.uptimeS));
  setText(cells.node, s.nodeId);
  button.disabled = !s.playback;
  button.title = s.playback ? '' : 'Waiting for the first transcoded segments';
  button.setAttribute('aria-label', `Play ${name}`);
}

function renderSessions(sessions) {
  const body = $('sessions-body');
  const seen = new Set();
  for (const s of sessions) {
    seen.add(s.sessionId);
    let entry = sessionRows.get(s.sessionId);
    if (!entry) {
      entry = sessionRow(s);
      sessionRows.set(s.sessionId, entry);
      body.append(entry.row);
    }
    updateSessionRow(entry, s);
  }
  for (const [id, entry] of sessionRows) {
    if (!seen.has(id)) {
      entry.row.remove();
      sessionRows.delete(id);
    }
  }
  $('sessions-empty').hidden = sessions.length > 0;
}

// ---- channels ------------------------------------------------------------------------------

const channelRows = new Map();

async function act(what, fn) {
  try {
    await fn();
  } catch (err) {
    report(err);
    return;
  }
  if (what) announce(what);
  await refresh();
}

function channelRow(c) {
  const cells = {
    name: h('th', { scope: 'row' }),
    id: h('td', {}, h('code', {})),
    created: h('td', {}),
    state: h('td', { dataset: { testid: 'channel-state' } }),
  };
  const entry = { channel: c, cells };
  const name = () => entry.channel.name;
  const id = () => entry.channel.id;
  const button = (testid, label, onclick) => h('button', { type: 'button', dataset: { testid }, onclick }, label);
  entry.buttons = {
    recordings: button('channel-recordings', 'Recordings', () => void showRecordings(id(), name())),
    rotate: button('channel-rotate', 'Rotate key', async () => {
      if (!(await confirmAction(`Rotate the key of "${name()}"? The old key stops working.`))) return;
      await act(null, async () => showKey(name(), (await api.rotateKey(id())).streamKey));
    }),
    revoke: button('channel-revoke', 'Revoke key', async () => {
      if (!(await confirmAction(`Revoke the key of "${name()}"? Publishing is refused until the key is rotated.`))) return;
      await act(`Key of ${name()} revoked.`, () => api.revokeKey(id()));
    }),
    kick: button('channel-kick', 'Kick', async () => {
      if (!(await confirmAction(`End the live publish of "${name()}"?`))) return;
      await act(null, async () => announce(`Kick sent to ${(await api.kick(id())).kicked} ingest node(s).`));
    }),
    remove: button('channel-delete', 'Delete', async () => {
      if (!(await confirmAction(`Delete channel "${name()}"? Its key stops working; recordings stay in storage.`))) return;
      await act(`Channel ${name()} deleted.`, () => api.deleteChannel(id()));
    }),
  };
  entry.buttons.remove.classList.add('danger');
  entry.row = h('tr', { dataset: { testid: 'channel-row', channelId: c.id } }, ...Object.values(cells), h('td', {}, h('div', { class: 'actions' }, ...Object.values(entry.buttons))));
  return entry;
}

function updateChannelRow(entry, c) {
  entry.channel = c;
  const { cells, buttons } = entry;
  setText(cells.name, c.name);
  setText(cells.id.firstChild, c.id);
  setText(cells.created, fmt.dateTime(c.createdAt));
  setText(cells.state, [c.live ? 'live' : 'idle', c.revoked ? 'key revoked' : null].filter(Boolean).join(' · '));
  cells.state.dataset.state = c.live ? 'live' : c.revoked ? 'revoked' : 'idle';
  buttons.kick.disabled = !c.live;
  buttons.revoke.disabled = c.revoked;
  for (const b of Object.values(buttons)) b.setAttribute('aria-label', `${b.textContent} (${c.name})`);
}

function renderChannels(channels) {
  const body = $('channels-body');
  const seen = new Set();
  for (const c of channels) {
    seen.add(c.id);
    channelNames.set(c.id, c.name);
    let entry = channelRows.get(c.id);
    if (!entry) {
      entry = channelRow(c);
      channelRows.set(c.id, entry);
      body.append(entry.row);
    }
    updateChannelRow(entry, c);
  }
  for (const [id, entry] of channelRows) {
    if (!seen.has(id)) {
      entry.row.remove();
      channelRows.delete(id);
      channelNames.delete(id);
    }
  }
  $('channels-empty').hidden = channels.length > 0;
}

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('channel-name');
  const name = input.value.trim();
  if (!name) return;
  await act(null, async () => {
    const created = await api.createChannel(name);
    input.value = '';
    showKey(created.channel.name, created.streamKey);
  });
});

// ---- recordings and VOD --------------------------------------------------------------------

let recordingsChannel = null;

async function showRecordings(channelId, name) {
  recordingsChannel = channelId;
  setText($('recordings-channel'), name);
  $('recordings-section').hidden = false;
  let recordings;
  try {
    recordings = await api.recordings(channelId);
  } catch (err) {
    report(err);
    return;
  }
  if (recordingsChannel !== channelId) return;
  $('recordings-body').replaceChildren(...recordings.map((r) => recordingRow(name, r)));
  $('recordings-empty').hidden = recordings.length > 0;
}

function recordingRow(channelName, r) {
  const started = fmt.dateTime(r.startedAt);
  const vodCell = h('td', {});
  const vodButton = h('button', { type: 'button', dataset: { testid: 'recording-vod' }, 'aria-label': `Transcode the recording of ${started} to VOD` }, 'Transcode to VOD');
  vodButton.addEventListener('click', () => void transcode(r, `${channelName} (${started})`, vodCell, vodButton));
  vodCell.append(vodButton);
  return h(
    'tr',
    { dataset: { testid: 'recording-row', key: r.key } },
    h('th', { scope: 'row' }, started),
    h('td', { class: 'num', dataset: { testid: 'recording-duration' } }, fmt.clock(r.durationMs / 1000)),
    h('td', { class: 'num', dataset: { testid: 'recording-size' } }, fmt.bytes(r.bytes)),
    h('td', {}, h('a', { href: r.downloadUrl, download: '', rel: 'noopener', 'aria-label': `Download the recording of ${started} (FLV)` }, 'FLV')),
    vodCell,
  );
}

async function transcode(recording, title, cell, button) {
  button.disabled = true;
  const progress = h('span', { role: 'status', dataset: { testid: 'vod-progress' } }, 'Starting…');
  cell.append(' ', progress);
  try {
    const { sessionId, playback } = await api.startVod(recording.key);
    for (;;) {
      const s = await api.vodStatus(sessionId);
      if (s.phase === 'vod') {
        progress.textContent = 'Ready.';
        const playButton = h('button', { type: 'button', dataset: { testid: 'vod-play' } }, 'Play VOD');
        playButton.addEventListener('click', () => play(`${title}: VOD`, playback));
        cell.replaceChildren(playButton);
        play(`${title}: VOD`, playback);
        return;
      }
      if (s.phase === 'failed') throw new Error(`The VOD transcode failed: ${s.error ?? 'unknown reason'}`);
      progress.textContent = s.phase === 'preparing' ? 'Reading the recording…' : `Transcoding: ${s.published}/${s.segments} segments…`;
      await new Promise((r) => window.setTimeout(r, VOD_POLL_MS));
    }
  } catch (err) {
    progress.textContent = 'Failed.';
    button.disabled = false;
    report(err);
  }
}

// ---- polling and sign-in -------------------------------------------------------------------

let pollTimer = 0;
let signedIn = false;

async function refresh() {
  const [sessions, channels] = await Promise.all([api.sessions(), api.channels()]);
  renderChannels(channels); // first: session rows show channel names
  renderSessions(sessions);
}

async function poll() {
  try {
    await refresh();
  } catch (err) {
    report(err);
  }
  if (signedIn) pollTimer = window.setTimeout(poll, POLL_MS);
}

async function signIn() {
  try {
    await api.channels(); // the token check
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signOut('That token was refused.');
    else announce(`Cannot reach the API: ${err.message}`);
    return;
  }
  signedIn = true;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  announce('Signed in.');
  void poll();
}

function signOut(message) {
  signedIn = false;
  window.clearTimeout(pollTimer);
  forgetToken();
  player.close();
  playing = null;
  playerSection.hidden = true;
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  for (const rows of [sessionRows, channelRows]) {
    for (const entry of rows.values()) entry.row.remove();
    rows.clear();
  }
  channelNames.clear();
  $('recordings-section').hidden = true;
  $('recordings-body').replaceChildren();
  announce(message);
  $('token-input').focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('token-input');
  storeToken(input.value.trim());
  input.value = '';
  void signIn();
});
$('sign-out').addEventListener('click', () => signOut('Signed out.'));

if (storedToken()) void signIn();

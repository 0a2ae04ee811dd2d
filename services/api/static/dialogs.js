// The two modal dialogs: a stream key shown once, and a yes/no confirmation. Both are native
// <dialog>s (focus kept inside, Escape cancels).

import { $, setText } from './dom.js';

const keyDialog = $('key-dialog');
const keyValue = $('key-value');

/** Shows a stream key once; closing the dialog (Done, Escape) wipes it from the DOM. */
export function showKey(channelName, streamKey) {
  setText($('key-channel'), channelName);
  keyValue.value = streamKey;
  setText($('key-copied'), '');
  keyDialog.showModal();
  keyValue.select();
}

/** Wipes the key as the dialog goes (Done, Escape): at once, not on the later `close` event. */
function forgetKey() {
  keyValue.value = '';
  setText($('key-copied'), '');
}
keyDialog.addEventListener('submit', forgetKey);
keyDialog.addEventListener('cancel', forgetKey);
keyDialog.addEventListener('close', forgetKey);

$('key-copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(keyValue.value);
    setText($('key-copied'), 'Copied to the clipboard.');
  } catch {
    // No clipboard permission (plain HTTP, denied): leave it selected for Ctrl+C.
    keyValue.select();
    setText($('key-copied'), 'Press Ctrl+C (⌘C) to copy the selected key.');
  }
});

const confirmDialog = $('confirm-dialog');
/** A modal yes/no; resolves true on Confirm. */
export function confirmAction(text) {
  setText($('confirm-text'), text);
  confirmDialog.returnValue = '';
  confirmDialog.showModal();
  return new Promise((resolve) => {
    confirmDialog.addEventListener('close', () => resolve(confirmDialog.returnValue === 'ok'), { once: true });
  });
}

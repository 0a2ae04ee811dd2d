/**
 * What a free-form label value becomes when it is not a plain id: label values end up in every
 * Prometheus series, dashboard and alert, so anything unexpected is folded into one value rather
 * than passed on (a stream key in a channel field must never reach a scrape).
 */
export const OTHER_LABEL = 'other';

/** Ids, reasons and codes we mint: short, no spaces or punctuation that could carry a URL or a secret. */
const SAFE_LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Shapes of Headwater stream keys (`hw_<channelId>_<secret>` from the key store, `hw1.<...>` HMAC
 * keys; see @headwater/auth). A channel id never has them; a label that does is a key in the
 * wrong field.
 */
const STREAM_KEY_LIKE = [/^hw_[0-9A-Za-z]+_[0-9A-Za-z]{16,}$/, /^hw1\./i];

/** Whether `value` has the shape of a stream key. */
export function looksLikeStreamKey(value: string): boolean {
  return STREAM_KEY_LIKE.some((re) => re.test(value));
}

/**
 * `value` when it is a plain id (1-128 of `[A-Za-z0-9_.-]`, starting alphanumeric) and not shaped
 * like a stream key, else {@link OTHER_LABEL}.
 */
export function safeLabelValue(value: string): string {
  return SAFE_LABEL.test(value) && !looksLikeStreamKey(value) ? value : OTHER_LABEL;
}

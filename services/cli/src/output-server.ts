// The playback server moved to @headwater/api (it also serves `/streams/*` of the API role).
export { createPlaybackHandler, routeRequest, startOutputServer } from '@headwater/api';
export type { OutputServer, OutputServerOptions, PlaybackHandler, PlaybackOptions } from '@headwater/api';

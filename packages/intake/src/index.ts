export { IntakeError, UploadInspector, type IntakeResult } from './inspector.js';
export { RemoteSourceFetcher, type RemoteSourceOptions } from './remote-source.js';
export { SNIFF_BYTES, sniffContentType } from './sniff.js';

export { ActiveSvgScanner, SVG_SCAN_MAX_BYTES, type ActiveSvgFinding, type ActiveSvgReason } from './active-svg.js';
export { ActiveSvgError, IntakeError, UploadInspector, type InspectorPolicy, type IntakeResult } from './inspector.js';
export { RemoteSourceFetcher, type RemoteSourceOptions } from './remote-source.js';
export { SNIFF_BYTES, sniffContentType } from './sniff.js';

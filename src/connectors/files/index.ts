/** File connectors: a source reading text, JSON Lines or CSV files (optionally watching a directory) and a sink writing one. */

export { type JsonProjection, projectJson } from '../formats/json-projection.js';
export type { CsvFormatOptions } from './csv-line-parser.js';
export { FileSink, type FileSinkFormat, type FileSinkOptions } from './file-sink.js';
export {
  FileSource,
  type FileSourceCommonOptions,
  type FileSourceFormat,
  type FileSourceJsonOptions,
  type FileSourceOptions,
  type FileSourceTextOptions,
} from './file-source.js';
export type { FileSourceReader } from './file-source-reader.js';
export { type FileProgress, type FileRange, type FileSourceState, mergeFileSourceStates } from './file-source-state.js';
export type { FormatResumeState } from './line-format.js';

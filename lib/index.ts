/**
 * asterism: blind astrometric calibration and galaxy inclination for Node.
 *
 * The public API, re-exported; nothing else lives here.
 *
 * @example
 * ```ts
 * import { detect, loadImage } from 'asterism';
 * const image = await loadImage('frame.fits');
 * const { stars } = await detect(image, { psfSigma: 1.5 });
 * ```
 * @packageDocumentation
 */
export { AsterismError, isAsterismError, type AsterismErrorCode } from './errors.js';
export type { FitsCard, Image, ImageFormat, PixelArray } from './image/image.js';
export { DEFAULT_MAX_PIXELS, loadImage, type LoadImageOptions, type RawPixels } from './image/load.js';
export { decodeFits, isFits } from './image/fits.js';
export { writeFits, type WriteFitsOptions } from './image/fits-write.js';
export { detect, type DetectOptions, type DetectResult, type Star } from './detect/detect.js';
export { backend } from './native/addon.js';
export {
  readAnetCatalog, readCatalog, readCsvCatalog, readFitsCatalog,
  type CatalogColumnOptions, type CatalogOptions, type CsvCatalogOptions, type FitsCatalogOptions, type StarCatalog,
} from './skyindex/catalog.js';
export { buildIndex, buildSubIndex, buildSubIndexAsync, indexScaleSeries, type BuildIndexOptions, type BuildSubIndexOptions } from './skyindex/build.js';
export { quadCodeOf, quadDiameterDeg, starVector, type SubIndex, type SubIndexMeta } from './skyindex/subindex.js';
export { DEFAULT_INDEX_DIR, loadDefaultIndex } from './skyindex/default-index.js';
export { buildKdTree, quantiseKdTree, rangeSearch, rangeSearchBatch, rangeSearchBatchAsync, type KdTree } from './skyindex/kdtree.js';
export { loadSubIndex, readSubIndex, writeSubIndex } from './skyindex/subindex-file.js';
export { loadIndex, type IndexSet, type IndexSetEntry, type LoadIndexOptions } from './skyindex/index-set.js';
export { readAnetIndex, type AnetIndex } from './skyindex/anet.js';
export { renderOverlay, renderStarOverlay, type OverlayOptions, type OverlayShape, type StarOverlayOptions } from './render/overlay.js';
export { solve, DEFAULT_CODE_TOLERANCE, DEFAULT_LOG_ODDS_TO_SOLVE } from './solve/solve.js';
export type { ScaleUnits, SolveInput, SolveMatch, SolveOptions, SolveProgress, SolveResult, SolveTimings, SolvedWcs, StarListInput } from './solve/types.js';
export { verifyHypothesis, type VerifyInput, type VerifyResult } from './solve/verify.js';
export {
  fitWcs, wcsCenter, wcsFieldSize, wcsFromFitsCards, wcsParity, wcsPixelScaleArcsec, wcsPixelToSky, wcsRotationDeg, wcsSkyToPixel, wcsToFitsCards, writeWcsHeaderFile,
  type FitWcsOptions, type FitWcsResult, type SipDistortion, type Wcs, type WcsFitPair,
} from './sky/wcs.js';
export { renderSolvedOverlay, solvedFieldShapes, type OverlayObject, type SolvedFieldView } from './render/solved-overlay.js';
export { loadObjectCatalog, overlayObjects, type ObjectCatalog, type SkyObject } from './catalog/objects.js';
export {
  d25Arcmin, findGalaxy, inclinetFraming, loadGalaxyCatalog, parseHyperledaCsv, readHyperledaCsv, readStellariumGalaxies,
  DEBIAN_STELLARIUM_CATALOG, DEFAULT_MIN_D25_PIXELS, INCLINET_FOV_PER_D25,
  type Galaxy, type GalaxyCatalog, type GalaxyInField, type GalaxySource, type InclinetGalaxy, type LoadGalaxyCatalogOptions,
} from './catalog/galaxies.js';
export {
  closeIncline, incline, inclineMany,
  type InclineEngineOptions, type InclineInput, type InclineManyOptions, type InclineOptions, type InclineProgress, type InclineResult, type InclineSummary,
} from './incline/incline.js';
export { readModelManifest, type ModelEntry, type ModelManifest } from './incline/manifest.js';
export {
  evaluateField,
  type EvaluateFieldOptions, type FieldGalaxy, type FieldProgress, type FieldResult, type FieldStage, type FieldTimings, type PaSource,
} from './pipeline/evaluate-field.js';
export { renderFieldOverlay, fieldOverlayShapes, axisRatioForInclination, type FieldOverlayGalaxy, type FieldOverlayView } from './render/field-overlay.js';
export { skyCutout, DEFAULT_CUTOUT_SIZE } from './cutout/sky-cutout.js';
export type { ImageSource, ImageSourceFetchOptions, SkyCutoutRequest, SkyImage } from './cutout/types.js';
export {
  cutoutRaster, imageDirectorySource, imageSourceFrom, sdssImageSource, urlTemplateImageSource, IMAGE_SOURCE_ADVICE, IMAGE_SOURCE_ENV, SDSS_GETJPEG_URL,
  type HttpImageSourceOptions, type ImageDirectorySourceOptions, type SdssImageSourceOptions,
} from './cutout/image-sources.js';
export {
  coordinateName, inclineAt, inclineByName, inclineByPgc, inclineGalaxy, inclinetResponse,
  type InclineAtOptions, type InclineByCatalogOptions, type InclinetResponse, type InclineSkyOptions, type InclineSkyResult,
} from './cutout/incline-sky.js';
export { createServer, type AsterismServer, type ServerOptions } from './server/server.js';

export { createPiiScanner, type PiiScannerOptions } from './create-pii-scanner.ts';
export { BUILTIN_DETECTORS, type BuiltinDetector, type CustomDetectorSpec, type Finding, type PiiScanner } from './finding.ts';
export { measureDetectors, parseLabelledSet, type DetectorScore, type LabelledExample, type LabelledSpan, type Measurement, type Mistake } from './measure-detectors.ts';
export { GuardrailMiddleware, type GuardrailMiddlewareOptions } from './guardrail-middleware.ts';
export { injectionActions, piiActions, type GuardrailPolicy, type InjectionAction, type PiiAction } from './guard-request.ts';
export { PseudonymStore, type PseudonymStoreOptions } from './pseudonyms/pseudonym-store.ts';
export { ValueSealer } from './pseudonyms/sealed-values.ts';
export { DEFAULT_INJECTION_THRESHOLD, scoreInjection, type InjectionFinding, type InjectionScore, type InjectionSignal, type InjectionSource } from './injection/index.ts';

/** The grader as a suite file names it: `defaultTest.options.provider.text: { id: file://…/suite-entries/grading-provider.ts }`. */
export { GantryGradingProvider as default } from '../gantry-grading-provider.ts';

export declare const MAX_BODY_DEPTH: number;
export declare const NAMED_SEGMENTS: number;
export declare function tooDeepPath(text: string, maxDepth: number): (string | number)[] | undefined;

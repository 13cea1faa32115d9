import { _, followedBy, near, phraseRule, type PhraseRule } from './phrase-rule.ts';

/**
 * Data leaving the conversation (to an address, a URL, a markdown image whose query string carries
 * the chat), reads of secrets on disk, piped shell installs, "decode this and follow it", and text
 * hidden with CSS. Emails and READMEs legitimately say "send it to …" or `curl … | sh`, so each of
 * these alone stays under a flagging score; they decide only alongside other evidence.
 */

const R = String.raw;
const SENSITIVE = /\b(?:emails?|messages?|conversation|chat|history|files?|data|credentials?|passwords?|api\W{1,4}keys?|keys?|tokens?|secrets?|contacts|documents?|ssh|environment|\.env|env|cookies?|session|card|cvv|mcp\.json|id_rsa|inbox|mailbox|summary|contents?)\b/i;
const SECRET_PARAMETER = /(?:^|&)(?:secret|key|token|password|pass|api_?key|session|cookie|auth)=/i;
const PLACEHOLDER = /[[{<%$]|\b(?:data|summary|conversation|history|email|secret|key|password|user|chat|context|info|name)\b/i;

/** Exfiltration, dangerous commands, decode-and-follow requests and CSS-hidden text. */
export const EXFILTRATION_RULES: readonly PhraseRule[] = [
  phraseRule({
    id: 'exfil.send-data-to',
    signal: 'exfiltration',
    keys: 'send forward email post upload uploads transmit exfiltrate leak submit transfer pass include including append attach copy share paste',
    pattern: R`(?:send|forward|email|post|uploads?|transmit|exfiltrate|leak|submit|transfer|pass|include|including|append|attach|copy|share|paste)(?:${_}[a-z'._-]{1,30}){0,8}?${_}(?:to|into|in|at|via|as)${_}(?:(?:a|the|this|an)${_}(?:link|url|address|email|endpoint|server|webhook)${_}(?:to${_}|at${_})?)?(?:[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,}|https?:\/\/|the${_}following${_}(?:url|address|link|email)|attacker)`,
    user: 0.2,
    tool: 0.45,
    // "POST /v1/…" and "include" are everywhere in API docs; only a nearby address or URL makes it worth a try.
    guard: (text, index) => followedBy(text, index, 400, ['@', 'http', 'HTTP', 'attacker', 'following']),
    grade: (match) => (SENSITIVE.test(match[0]) ? 1 : 0.3),
  }),
  phraseRule({
    id: 'exfil.markdown-url',
    signal: 'exfiltration',
    keys: '](',
    pattern: R`(?<=(?<image>!?)\[[^\]\n]{0,100})\]\([ \t]*https?:\/\/[^)\s?]{1,300}\?(?<query>[^)\s]{0,300})\)`,
    user: 0.2,
    tool: 0.5,
    // An image renders (and fetches its URL) without a click; a link needs one, so only a secret-named parameter counts.
    grade: (match) => {
      const query = match.groups?.query ?? '';
      if (match.groups?.image === '!') return PLACEHOLDER.test(query) ? 1 : 0.4;
      return SECRET_PARAMETER.test(query) ? 0.9 : 0;
    },
  }),
  phraseRule({
    id: 'exfil.reveal-user-secrets',
    signal: 'exfiltration',
    keys: 'reveal leak expose disclose share send print output include',
    pattern: R`(?:reveal|leak|expose|disclose|share|send|print|output|include)${_}(?:the${_}user's|the${_}user${_}s|their|his|her|all${_}(?:stored|saved)|all${_}the${_}user's)${_}(?:api${_}keys?|passwords?|credentials?|tokens?|secrets?|private${_}keys?|card${_}numbers?|ssh${_}keys?|stored${_}secrets)\b`,
    user: 0.35,
    tool: 0.45,
  }),
  phraseRule({
    id: 'exfil.embed-in-link',
    signal: 'exfiltration',
    keys: 'link url image markdown hyperlink',
    pattern: R`(?<=\b(?:include|including|put|putting|append|appending|add|adding|insert|inserting|encode|encoding|embed|embedding|pass|passing|place)(?:${_}[a-z'-]{1,30}){0,5}${_}(?:in|into|to|as|inside)${_}(?:a${_}|the${_}|an${_}|this${_})?)(?:link|url|image|markdown|hyperlink)\b`,
    user: 0.15,
    tool: 0.4,
  }),
  phraseRule({
    id: 'exfil.read-secret-file',
    signal: 'exfiltration',
    keys: '~/ .env .ssh id_rsa mcp /etc/passwd .aws .npmrc .netrc',
    pattern: R`(?<=\b(?:read|open|cat|access|load|send|upload|include|pass|exfiltrate|contents${_}of|copy|print|dump)(?:${_}[a-z'-]{1,20}){0,3}${_}[\x60'"]?)(?:~\/|\.env|\.ssh|id_rsa|mcp\.json|\/etc\/passwd|\.aws|\.npmrc|\.netrc)`,
    user: 0.15,
    tool: 0.4,
    // Documentation says "reads your .env file"; an injection has the contents passed on.
    grade: (match, text) => (near(text, match.index, /\b(?:pass|passes|send|include|upload|post|attach|sidenote|parameter|argument|exfiltrate)\b/i, 0, 160) ? 1 : 0.5),
  }),
  phraseRule({
    id: 'exfil.piped-shell',
    signal: 'exfiltration',
    keys: 'curl wget rm',
    pattern: R`(?:(?:curl|wget)\b[^\n|;]{0,200}\|[ \t]*(?:sudo[ \t]+)?(?:ba|z)?sh\b|rm[ \t]+-(?:rf|fr|r)[ \t]+(?:~|\/|\$home|\*|\.\.))`,
    user: 0.1,
    tool: 0.3,
  }),
  phraseRule({
    id: 'encoded.decode-and-follow',
    signal: 'encoded_instructions',
    keys: 'decode decipher decrypt unscramble deobfuscate',
    pattern: R`(?:decode|decipher|decrypt|unscramble|deobfuscate)(?:${_}[a-z0-9'-]{1,30}){0,6}?${_}(?:and|then)${_}(?:[a-z]{1,20}${_}){0,2}?(?:follow|execute|obey|do|run|carry${_}out|act${_}on|perform|comply${_}with|apply)\b`,
    user: 0.55,
    tool: 0.6,
  }),
  phraseRule({
    id: 'encoded.follow-the-encoded',
    signal: 'encoded_instructions',
    keys: 'base64 b64 rot13 rot hex hexadecimal encoded decoded binary morse',
    pattern: R`(?<=\b(?:execute|follow|obey|run|carry${_}out|act${_}on|perform|apply)${_}(?:the${_}|this${_}|these${_}|following${_})?)(?:base64|b64|rot-?13|hex|hexadecimal|encoded|decoded|binary|morse)\b`,
    user: 0.55,
    tool: 0.6,
  }),
  phraseRule({
    id: 'hidden.css',
    signal: 'hidden_text',
    keys: 'display visibility opacity font color',
    pattern: R`(?:display[ \t]*:[ \t]*none|visibility[ \t]*:[ \t]*hidden|opacity[ \t]*:[ \t]*0(?:\.0+)?(?![.\d])|font-size[ \t]*:[ \t]*[01](?:px|pt|em|rem)?\b|color[ \t]*:[ \t]*(?:white|#fff(?:fff)?|transparent)\b)`,
    user: 0.1,
    tool: 0.25,
  }),
];

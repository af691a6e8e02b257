/**
 * Names of the weaknesses cases report most (the CWE Top 25 and the AI-related CWE-1426/1427), as
 * CWE 4.15 gives them. CSAF requires a CWE's exact name and CWE version beside its id; a CWE not in
 * this table is exported by id only where the format allows (CVE, OSV, STIX) and as a note in CSAF.
 * Kept by hand: the full catalogue is 900+ entries for a handful of fields.
 */
export const CWE_VERSION = '4.15';

const NAMES: Record<string, string> = {
  'CWE-20': 'Improper Input Validation',
  'CWE-22': "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
  'CWE-77': "Improper Neutralization of Special Elements used in a Command ('Command Injection')",
  'CWE-78': "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
  'CWE-79': "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
  'CWE-89': "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
  'CWE-94': "Improper Control of Generation of Code ('Code Injection')",
  'CWE-119': 'Improper Restriction of Operations within the Bounds of a Memory Buffer',
  'CWE-120': "Buffer Copy without Checking Size of Input ('Classic Buffer Overflow')",
  'CWE-125': 'Out-of-bounds Read',
  'CWE-190': 'Integer Overflow or Wraparound',
  'CWE-200': 'Exposure of Sensitive Information to an Unauthorized Actor',
  'CWE-269': 'Improper Privilege Management',
  'CWE-287': 'Improper Authentication',
  'CWE-295': 'Improper Certificate Validation',
  'CWE-306': 'Missing Authentication for Critical Function',
  'CWE-352': 'Cross-Site Request Forgery (CSRF)',
  'CWE-362': "Concurrent Execution using Shared Resource with Improper Synchronization ('Race Condition')",
  'CWE-400': 'Uncontrolled Resource Consumption',
  'CWE-416': 'Use After Free',
  'CWE-434': 'Unrestricted Upload of File with Dangerous Type',
  'CWE-476': 'NULL Pointer Dereference',
  'CWE-502': 'Deserialization of Untrusted Data',
  'CWE-611': 'Improper Restriction of XML External Entity Reference',
  'CWE-639': 'Authorization Bypass Through User-Controlled Key',
  'CWE-770': 'Allocation of Resources Without Limits or Throttling',
  'CWE-787': 'Out-of-bounds Write',
  'CWE-798': 'Use of Hard-coded Credentials',
  'CWE-862': 'Missing Authorization',
  'CWE-863': 'Incorrect Authorization',
  'CWE-915': 'Improperly Controlled Modification of Dynamically-Determined Object Attributes',
  'CWE-918': 'Server-Side Request Forgery (SSRF)',
  'CWE-1321': "Improperly Controlled Modification of Object Prototype Attributes ('Prototype Pollution')",
  'CWE-1336': 'Improper Neutralization of Special Elements Used in a Template Engine',
  'CWE-1426': 'Improper Validation of Generative AI Output',
  'CWE-1427': 'Improper Neutralization of Input Used for LLM Prompting',
};

/** The CWE's name, or undefined when the table does not hold it. */
export const cweName = (id: string): string | undefined => NAMES[id];

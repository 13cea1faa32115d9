import { CalibrationInputError } from './labelled-pairs.ts';

/**
 * The records of a CSV file (RFC 4180: comma-separated, fields optionally in double quotes with
 * `""` for a quote, quoted fields may hold commas and line breaks; CRLF or LF), keyed by the
 * header row. What pandas' `DataFrame.to_csv` writes reads back here. Written by hand because it is
 * thirty lines and the calibration needs nothing else from a CSV library.
 */
export function parseCsv(text: string): Record<string, string>[] {
  const rows = csvRows(text.startsWith('\ufeff') ? text.slice(1) : text);
  const header = rows.shift();
  if (header === undefined || header.every((cell) => cell === '')) throw new CalibrationInputError('the CSV file is empty: expected a header row');
  return rows
    .filter((row) => !(row.length === 1 && row[0] === ''))
    .map((row, index) => {
      if (row.length !== header.length) throw new CalibrationInputError(`CSV record ${index + 1}: ${row.length} fields where the header has ${header.length}`);
      return Object.fromEntries(header.map((column, position) => [column, row[position]!]));
    });
}

function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else quoted = false;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (quoted) throw new CalibrationInputError('the CSV file ends inside a quoted field: a closing " is missing');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

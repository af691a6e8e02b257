/** A TAXII 2.1 error message (`title`, `description`, `http_status`), sent with its HTTP status. */
export class TaxiiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly description?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(title);
  }

  body(): Record<string, string> {
    return { title: this.title, ...(this.description ? { description: this.description } : {}), http_status: String(this.status) };
  }
}

export const badRequest = (description: string): TaxiiError => new TaxiiError(400, 'Bad request', description);
export const notFound = (description: string): TaxiiError => new TaxiiError(404, 'Not found', description);

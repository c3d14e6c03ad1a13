// The shell lines for trying the server (curl, newman), in one place: `npm start` prints them, README shows the same, tests run them.

/** The file the walkthrough uploads: shipped in the repository, so the lines work pasted from its root. */
export const SAMPLE_FILE = 'example-server/sample.jpg';

export interface CurlExampleOptions {
  /** The server's address, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** Where the router is mounted. It defaults to `/uploads`. */
  uploadsPath?: string;
  /**
   * A token to paste into the first line. It defaults to none: the first line then signs in through the
   * development login (`POST /dev-login`, embedded mode only).
   */
  token?: string;
}

/**
 * Shell lines (bash or zsh, from the repository root) that presign with the AWS sample's `GET /uploads` and PUT the
 * sample file to `uploadURL`. They are written to fail visibly:
 * - the presign answer is printed, so a refusal shows the server's problem+json `detail`;
 * - the PUT is only tried when there is an `uploadURL`, and `--fail-with-body` shows S3's error document;
 * - the PUT sends the headers the answer lists: Content-Type, the signed `x-amz-acl` (read from the answer, since a
 *   public-read deployment signs `public-read`) and `If-None-Match: *` (so pasting the PUT twice gets 412);
 * - `tr -d ' '` strips the padding BSD `wc` (macOS) puts before the count.
 */
export function curlExample(options: CurlExampleOptions): string[] {
  const uploads = `${options.baseUrl}${options.uploadsPath ?? '/uploads'}`;
  const tokenLine =
    options.token !== undefined
      ? `TOKEN='${options.token}'`
      : `TOKEN=$(curl -sS -X POST ${options.baseUrl}/dev-login -H 'Content-Type: application/json' -d '{"name":"alice"}' | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`;
  return [
    tokenLine,
    `FILE=${SAMPLE_FILE}`,
    `ANSWER=$(curl -sS -H "Authorization: Bearer $TOKEN" "${uploads}?contentType=image/jpeg&size=$(wc -c < "$FILE" | tr -d ' ')"); echo "$ANSWER"`,
    `UPLOAD_URL=$(node -p 'try { JSON.parse(process.argv[1]).uploadURL || "" } catch { "" }' "$ANSWER")`,
    `ACL=$(node -p 'try { JSON.parse(process.argv[1]).headers["x-amz-acl"] || "" } catch { "" }' "$ANSWER")`,
    `[ -n "$UPLOAD_URL" ] && curl -sS --fail-with-body -T "$FILE" -H 'Content-Type: image/jpeg' -H "x-amz-acl: $ACL" -H 'If-None-Match: *' "$UPLOAD_URL" && echo uploaded`,
  ];
}

/** The Postman collection and its environment for `npm start`, relative to the repository root. */
export const POSTMAN_COLLECTION = 'example-server/postman_collection.json';
export const POSTMAN_ENVIRONMENT = 'example-server/postman_environment.json';
/** The environment's `baseUrl`: where `npm start` listens by default. */
export const DEFAULT_BASE_URL = 'http://localhost:3000';

/**
 * The newman line that runs the collection from the repository root (its PUTs read the sample file relative to
 * the working directory); `--env-var baseUrl=` is added only when the server is not on the environment's address.
 */
export function newmanCommand(baseUrl: string = DEFAULT_BASE_URL): string {
  const line = `npx newman run ${POSTMAN_COLLECTION} -e ${POSTMAN_ENVIRONMENT}`;
  return baseUrl === DEFAULT_BASE_URL ? line : `${line} --env-var baseUrl=${baseUrl}`;
}

/* Practice's progress in the URL's hash, so a reload or a shared link keeps a student's work: the
   values worked out (`got`, their ids in the order they were answered or shown), the score
   (`score`: right first time, right after a hint, shown) and the statements drawn folded
   (`fold`; absent: the server's choice, empty: none). Ids are the graph API's, the same for the
   same program. */

const ID = /^[A-Za-z0-9_-]{1,40}$/;
const MAX_GOT = 5000; // more ids than any graph the server draws

/** The hash's practice tail for `progress` ({got, score}, or null) and `fold`: "&got=n6.n5&score=1.0.1&fold=0.2". */
export function progressTail(progress, fold) {
  let tail = "";
  if (progress && progress.got.length) {
    const { first, later, shown } = progress.score;
    tail += `&got=${progress.got.join(".")}&score=${first}.${later}.${shown}`;
  }
  if (fold) tail += `&fold=${fold.join(".")}`;
  return tail;
}

const count = (s) => (/^\d{1,6}$/.test(s) ? Number(s) : null);

/**
 * The progress a hash holds ({got, score}, or null when none) and its folded statements (an array,
 * or null when it names none). A score that does not add up to the values got counts them shown.
 */
export function readProgress(params) {
  const fold = params.has("fold")
    ? (params.get("fold") || "").split(".").filter((s) => count(s) !== null).map(Number)
    : null;
  const got = [...new Set((params.get("got") || "").split(".").filter((s) => ID.test(s)))].slice(0, MAX_GOT);
  if (!got.length) return { progress: null, fold };
  const [first, later, shown] = (params.get("score") || "").split(".").map(count);
  const adds = [first, later, shown].every((x) => x !== null) && first + later + shown === got.length;
  const score = adds ? { first, later, shown } : { first: 0, later: 0, shown: got.length };
  return { progress: { got, score }, fold };
}

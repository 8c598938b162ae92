/* Reading a text/event-stream body (server-sent events) from fetch(): EventSource cannot POST. */

/** Reads the body, calling onEvent({event, id, data}) per event, until the body ends. */
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let rest = ""; // the start of a line whose end has not arrived
  let event = { event: "message", id: null, data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    rest += decoder.decode(value, { stream: !done });
    const lines = rest.split(/\r?\n/); // (the format also allows a lone \r, which the server never sends)
    rest = done ? "" : lines.pop();
    for (const line of lines) {
      if (line === "") {
        // a blank line ends an event; several data lines are one data, joined by "\n"
        if (event.data.length) onEvent({ ...event, data: event.data.join("\n") });
        event = { event: "message", id: null, data: [] };
      } else if (!line.startsWith(":")) {
        // "field: value" ("field:value" too); a line starting with ":" is a comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") event.data.push(value);
        else if (field === "event") event.event = value;
        else if (field === "id") event.id = value;
        // "retry" is for EventSource's own reconnection; the page resumes by itself
      }
    }
    if (done) return; // an event cut off before its blank line is dropped, as EventSource does
  }
}

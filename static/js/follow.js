// The follow page (/follow/<code>, the address in the QR code): waits for the teacher's view,
// then opens the real page in following mode (/?follow=CODE#view or /train?follow=CODE#view),
// where lesson-follow.js mirrors the teacher. Its messages are text only.

import { PAGES } from "./lesson.js";
import { follow } from "./live.js";

const $ = (id) => document.getElementById(id);
const code = $("follow").dataset.code;

const connection = follow(
  code,
  (view) => {
    if (!view) {
      $("follow-message").textContent = "The teacher sent a view this page cannot show; waiting for the next one…";
      return;
    }
    connection.close();
    location.replace(`${PAGES[view.page]}?follow=${encodeURIComponent(code)}${view.hash}`);
  },
  (text, ended) => {
    $("follow-status").textContent = text === "Live" ? "Connected: waiting for the teacher's first view…" : text;
    if (ended) $("follow-message").textContent = "Ask the teacher for the code again.";
  },
);

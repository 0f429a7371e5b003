// The portal's little script, attached from this static file (the CSP allows no inline script):
// a copy button for a new key, and a slider that shows one frame at a time. Without it, the key
// can still be selected and every frame is shown one under another.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-copy-target]")) {
    const source = document.getElementById(button.dataset.copyTarget);
    const status = button.parentElement.querySelector(".copied");
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        status.textContent = "Copied.";
      } catch {
        window.getSelection().selectAllChildren(source); // no clipboard access: select it for Ctrl+C
        status.textContent = "Selected: press Ctrl+C to copy.";
      }
    });
  }

  for (const viewer of document.querySelectorAll("[data-frames]")) {
    const slider = viewer.querySelector("[data-frame-slider]");
    const number = viewer.querySelector("[data-frame-number]");
    const frames = viewer.querySelectorAll("img[data-frame]");
    const show = () => {
      const current = Number(slider.value);
      frames.forEach((frame, index) => { frame.hidden = index + 1 !== current; });
      number.textContent = `${current} of ${frames.length}`;
    };
    if (frames.length > 1) {
      slider.hidden = false;
      slider.addEventListener("input", show);
      show();
    }
  }
});

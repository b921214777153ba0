/* The labeling workbench: label one document with the keyboard, pick field values from the
   page with the mouse. Everything works on the server-rendered form; without this script the
   form still posts (type only). Plain JS, no framework.

   Keys (not while typing in a text box): 1-9 pick a type, / filter types (Enter picks a
   single match), Tab into the fields, Enter save and next, Esc skip (then 1-4 or Enter for
   the reason, Esc to go back), b word boxes, + - 0 zoom, PageUp/PageDown page, u undo.
   Mouse: with a field focused, click a word to fill it, shift-click to add a word, drag a
   rectangle to take the words inside (shift-drag adds them); with no field focused, drag pans.
*/
(function () {
  "use strict";

  const root = document.getElementById("workbench");
  if (!root) return;
  root.classList.add("wb-js");

  const readonly = root.hasAttribute("data-readonly");
  const form = document.getElementById("wb-form");
  const save = document.getElementById("wb-save");
  const viewer = document.getElementById("wb-viewer");
  const pages = Array.from(root.querySelectorAll(".wb-page"));
  const pageLabel = document.getElementById("wb-page-label");
  const zoomLabel = document.getElementById("wb-zoom");
  const boxesToggle = document.getElementById("wb-boxes");
  const filter = document.getElementById("wb-filter");
  const typeInputs = Array.from(root.querySelectorAll('input[name="document_type"]'));
  const skip = document.getElementById("wb-skip");
  const skipForm = document.getElementById("wb-skip-form");
  const statusLine = document.getElementById("wb-status");
  const prevButton = root.querySelector('[data-action="prev-page"]');
  const nextButton = root.querySelector('[data-action="next-page"]');
  const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4];
  const DRAG_THRESHOLD = 4; // pixels before a press becomes a drag
  let current = 0;
  let zoom = 1;
  let submitting = false;
  let gesture = null;
  const picked = new WeakMap(); // field input -> the word rects picked for it

  function say(text) {
    statusLine.textContent = text;
  }

  // --- Pages and zoom ----------------------------------------------------------------------

  function showPage(index) {
    if (!pages.length) return;
    const next = Math.max(0, Math.min(pages.length - 1, index));
    if (next !== current) viewer.scrollTop = 0;
    current = next;
    pages.forEach((page, i) => page.classList.toggle("current", i === current));
    pageLabel.textContent = `Page ${current + 1} of ${pages.length}`;
    prevButton.disabled = current === 0;
    nextButton.disabled = current === pages.length - 1;
  }

  function pageIndex(number) {
    return pages.findIndex((page) => page.dataset.number === String(number));
  }

  function setZoom(value, anchor) {
    const next = Math.max(ZOOMS[0], Math.min(ZOOMS[ZOOMS.length - 1], value));
    // Keep the point under the pointer (or the middle of the pane) where it is.
    const box = viewer.getBoundingClientRect();
    const ax = anchor ? anchor.x - box.left : viewer.clientWidth / 2;
    const ay = anchor ? anchor.y - box.top : viewer.clientHeight / 2;
    const fx = (viewer.scrollLeft + ax) / Math.max(1, viewer.scrollWidth);
    const fy = (viewer.scrollTop + ay) / Math.max(1, viewer.scrollHeight);
    zoom = next;
    viewer.style.setProperty("--zoom", String(zoom));
    zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
    viewer.scrollLeft = fx * viewer.scrollWidth - ax;
    viewer.scrollTop = fy * viewer.scrollHeight - ay;
  }

  function stepZoom(direction, anchor) {
    const steps = direction > 0 ? ZOOMS.filter((z) => z > zoom + 1e-9) : ZOOMS.filter((z) => z < zoom - 1e-9);
    if (!steps.length) return;
    setZoom(direction > 0 ? steps[0] : steps[steps.length - 1], anchor);
  }

  function setBoxes(on) {
    boxesToggle.checked = on;
    root.classList.toggle("wb-hide-boxes", !on);
    say(on ? "Word boxes shown" : "Word boxes hidden");
  }

  // --- Types and the fields panel ----------------------------------------------------------

  function fieldsets() {
    return Array.from(form.querySelectorAll(".wb-fields"));
  }

  function chosenType() {
    return typeInputs.find((input) => input.checked) || null;
  }

  function typeName(input) {
    return input.getAttribute("aria-label");
  }

  function showFields() {
    const chosen = chosenType();
    fieldsets().forEach((set) => {
      const on = chosen !== null && set.dataset.type === chosen.value;
      set.hidden = !on;
      set.disabled = !on;
    });
    const hint = document.getElementById("wb-no-type");
    if (hint) hint.hidden = chosen !== null;
    typeInputs.forEach((input) => input.closest(".wb-type").classList.toggle("chosen", input.checked));
    showFieldBox(null);
  }

  function choose(input) {
    input.checked = true;
    showFields();
    say(`Type: ${typeName(input)}`);
  }

  function filterTypes() {
    const query = filter.value.trim().toLowerCase();
    typeInputs.forEach((input) => {
      const label = input.closest(".wb-type");
      label.classList.toggle("filtered-out", query !== "" && !label.dataset.search.includes(query));
    });
  }

  function clearFilter() {
    filter.value = "";
    filterTypes();
  }

  function pickFiltered() {
    const query = filter.value.trim().toLowerCase();
    const matches = typeInputs.filter((input) => !input.closest(".wb-type").classList.contains("filtered-out"));
    const pick = matches.length === 1 ? matches[0] : matches.find((input) => typeName(input).toLowerCase() === query);
    if (!pick) {
      say(matches.length ? `${matches.length} types match: type more.` : "No type matches.");
      return;
    }
    clearFilter();
    filter.blur();
    choose(pick);
  }

  function visibleFields() {
    const set = fieldsets().find((s) => !s.hidden);
    return set ? Array.from(set.querySelectorAll("input[data-field]")) : [];
  }

  function focusedField() {
    const element = document.activeElement;
    return element && element.matches && element.matches("input[data-field]") ? element : null;
  }

  function parts(input) {
    const row = input.closest(".wb-field");
    return {
      row,
      page: row.querySelector('[data-role="page"]'),
      bbox: row.querySelector('[data-role="bbox"]'),
      label: row.querySelector("label").textContent.replace("*", "").trim(),
    };
  }

  function parseBox(text) {
    try {
      const box = JSON.parse(text);
      return Array.isArray(box) && box.length === 4 ? box.map(Number) : null;
    } catch (error) {
      return null;
    }
  }

  function markPicked(rects) {
    root.querySelectorAll("rect.word.picked").forEach((rect) => rect.classList.remove("picked"));
    rects.forEach((rect) => rect.classList.add("picked"));
  }

  function showFieldBox(input) {
    root.querySelectorAll("rect.field-box").forEach((rect) => rect.setAttribute("visibility", "hidden"));
    markPicked(input ? picked.get(input) || [] : []);
    if (!input) return;
    const { page, bbox } = parts(input);
    const box = parseBox(bbox.value);
    const index = pageIndex(page.value);
    if (!box || index < 0) return;
    showPage(index);
    const rect = pages[index].querySelector("rect.field-box");
    rect.setAttribute("x", box[0]);
    rect.setAttribute("y", box[1]);
    rect.setAttribute("width", Math.max(0, box[2] - box[0]));
    rect.setAttribute("height", Math.max(0, box[3] - box[1]));
    rect.setAttribute("visibility", "visible");
    rect.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function wordBox(rect) {
    const x = rect.x.baseVal.value;
    const y = rect.y.baseVal.value;
    return [x, y, x + rect.width.baseVal.value, y + rect.height.baseVal.value];
  }

  function union(a, b) {
    return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
  }

  // Fill ``input`` from word rects of one page; ``append`` adds them to what is there.
  function pick(input, rects, append) {
    if (!rects.length) return;
    const number = rects[0].closest(".wb-page").dataset.number;
    const field = parts(input);
    const words = rects.map((rect) => rect.dataset.text).join(" ");
    let box = rects.map(wordBox).reduce(union);
    let before = [];
    const adding = append && input.value.trim() !== "" && (!field.page.value || field.page.value === number);
    if (adding) {
      const old = parseBox(field.bbox.value);
      if (old) box = union(box, old);
      before = picked.get(input) || [];
      input.value = `${input.value.trim()} ${words}`;
    } else {
      input.value = words;
    }
    field.page.value = number;
    field.bbox.value = JSON.stringify(box.map((v) => Math.round(v)));
    field.row.classList.add("picked-from-page");
    picked.set(input, before.concat(rects));
    showFieldBox(input);
    // The same words the rules read: still their value (it is stored as theirs).
    noteSource(input, input.value === input.defaultValue ? null : `picked by you on page ${number}`);
    say(`${field.label}: ${input.value}`);
  }

  // The note under a field says where its value came from: once the labeler picks or types
  // another value, no longer "extracted, confidence ...".
  function noteSource(input, text) {
    let note = input.closest(".wb-field").querySelector(".wb-source");
    if (!note) {
      note = document.createElement("small");
      note.className = "wb-source";
      note.id = `${input.id}-source`;
      input.insertAdjacentElement("afterend", note);
      const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      input.setAttribute("aria-describedby", [note.id, ...described].join(" "));
    }
    if (note.dataset.original === undefined) note.dataset.original = note.textContent;
    note.textContent = text === null ? note.dataset.original : text;
  }

  function clearPick(input) {
    const field = parts(input);
    field.page.value = "";
    field.bbox.value = "";
    field.row.classList.remove("picked-from-page");
    picked.delete(input);
    showFieldBox(input);
  }

  function submitLabel() {
    if (readonly || submitting) return;
    if (!chosenType()) {
      say("Choose a type first: keys 1-9, or / to filter.");
      return;
    }
    form.requestSubmit(save);
  }

  // --- Skipping ----------------------------------------------------------------------------

  function skipReasons() {
    return skipForm ? Array.from(skipForm.querySelectorAll('input[name="reason"]')) : [];
  }

  function openSkip() {
    if (!skip) return;
    skip.open = true;
    const reason = skipReasons().find((input) => input.checked) || skipReasons()[0];
    if (reason) reason.focus();
    say("Skip: pick a reason with 1-4 or press Enter; Esc goes back.");
  }

  function closeSkip() {
    skip.open = false;
    if (skip.contains(document.activeElement)) document.activeElement.blur();
    say("");
  }

  function submitSkip() {
    if (submitting) return;
    submitting = true;
    skipForm.requestSubmit();
  }

  // --- Pointer: pick words, select a rectangle, pan ----------------------------------------

  function toImage(svg, figure, clientX, clientY) {
    const box = svg.getBoundingClientRect();
    return {
      x: ((clientX - box.left) / box.width) * Number(figure.dataset.width),
      y: ((clientY - box.top) / box.height) * Number(figure.dataset.height),
    };
  }

  function marqueeOf(g, clientX, clientY) {
    const a = toImage(g.svg, g.figure, g.x0, g.y0);
    const b = toImage(g.svg, g.figure, clientX, clientY);
    return [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y)];
  }

  function drawMarquee(g, box) {
    const rect = g.svg.querySelector("rect.marquee");
    if (!box) {
      rect.setAttribute("visibility", "hidden");
      return;
    }
    rect.setAttribute("x", box[0]);
    rect.setAttribute("y", box[1]);
    rect.setAttribute("width", box[2] - box[0]);
    rect.setAttribute("height", box[3] - box[1]);
    rect.setAttribute("visibility", "visible");
  }

  function wordsInside(g, box) {
    return Array.from(g.svg.querySelectorAll("rect.word")).filter((rect) => {
      const w = wordBox(rect);
      const cx = (w[0] + w[2]) / 2;
      const cy = (w[1] + w[3]) / 2;
      return cx >= box[0] && cx <= box[2] && cy >= box[1] && cy <= box[3];
    });
  }

  // Keep the focus in the field being filled, and stop the browser dragging the image.
  viewer.addEventListener("mousedown", (event) => {
    if (event.target.closest(".wb-canvas")) event.preventDefault();
  });

  viewer.addEventListener("pointerdown", (event) => {
    const canvas = event.target.closest(".wb-canvas");
    if (!canvas || (event.button !== 0 && event.button !== 1)) return;
    const field = readonly ? null : focusedField();
    gesture = {
      canvas,
      field,
      svg: canvas.querySelector("svg"),
      figure: canvas.closest(".wb-page"),
      pan: !field || event.button === 1,
      word: event.target.closest("rect.word"),
      shift: event.shiftKey,
      x0: event.clientX,
      y0: event.clientY,
      left: viewer.scrollLeft,
      top: viewer.scrollTop,
      moved: false,
    };
    canvas.setPointerCapture(event.pointerId);
  });

  viewer.addEventListener("pointermove", (event) => {
    const g = gesture;
    if (!g) return;
    const dx = event.clientX - g.x0;
    const dy = event.clientY - g.y0;
    if (!g.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    g.moved = true;
    if (g.pan) {
      g.canvas.classList.add("panning");
      viewer.scrollLeft = g.left - dx;
      viewer.scrollTop = g.top - dy;
    } else {
      drawMarquee(g, marqueeOf(g, event.clientX, event.clientY));
    }
  });

  function endGesture(event, cancelled) {
    const g = gesture;
    if (!g) return;
    gesture = null;
    g.canvas.classList.remove("panning");
    if (g.canvas.hasPointerCapture(event.pointerId)) g.canvas.releasePointerCapture(event.pointerId);
    drawMarquee(g, null);
    if (cancelled) return;
    if (g.pan) {
      if (!g.moved && g.word && !readonly) say("Focus a field first (Tab), then click a word to fill it.");
      return;
    }
    if (g.moved) {
      const words = wordsInside(g, marqueeOf(g, event.clientX, event.clientY));
      if (words.length) pick(g.field, words, g.shift);
      else say("No words in that rectangle.");
    } else if (g.word) {
      pick(g.field, [g.word], g.shift);
    }
  }

  viewer.addEventListener("pointerup", (event) => endGesture(event, false));
  viewer.addEventListener("pointercancel", (event) => endGesture(event, true));

  viewer.addEventListener(
    "wheel",
    (event) => {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      stepZoom(event.deltaY < 0 ? 1 : -1, { x: event.clientX, y: event.clientY });
    },
    { passive: false },
  );

  // --- Wiring ------------------------------------------------------------------------------

  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "prev-page") showPage(current - 1);
    else if (action === "next-page") showPage(current + 1);
    else if (action === "zoom-in") stepZoom(1);
    else if (action === "zoom-out") stepZoom(-1);
    else if (action === "zoom-fit") setZoom(1);
  });

  boxesToggle.addEventListener("change", () => setBoxes(boxesToggle.checked));
  typeInputs.forEach((input) => input.addEventListener("change", showFields));
  if (filter) filter.addEventListener("input", filterTypes);

  form.addEventListener("focusin", (event) => {
    if (event.target.matches("input[data-field]")) {
      showFieldBox(event.target);
      root.querySelectorAll(".wb-canvas").forEach((c) => c.classList.add("picking"));
    }
  });
  form.addEventListener("focusout", (event) => {
    if (event.target.matches("input[data-field]")) {
      root.querySelectorAll(".wb-canvas").forEach((c) => c.classList.remove("picking"));
    }
  });
  form.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches("input[data-field]")) return;
    // Typed over or emptied: the picked place no longer says where the value is.
    if (input.value.trim() === "") clearPick(input);
    // A problem the server named was about the value as it was sent.
    clearProblem(input);
    if (picked.has(input)) {
      // Picked, then typed over: the box goes with the value only where its words still read
      // as it (a misread letter put right); the note says what was done.
      noteSource(input, `picked by you on page ${parts(input).page.value}, then typed over`);
      return;
    }
    if (input.value === input.defaultValue) noteSource(input, null);
    else noteSource(input, input.value.trim() === "" ? "emptied by you" : "typed by you");
  });

  function clearProblem(input) {
    const problem = input.closest(".wb-field").querySelector(".wb-field-problem");
    if (!problem) return;
    problem.remove();
    input.removeAttribute("aria-invalid");
    const described = (input.getAttribute("aria-describedby") || "").split(" ");
    input.setAttribute("aria-describedby", described.filter((id) => id && id !== problem.id).join(" "));
  }
  form.addEventListener("submit", (event) => {
    if (submitting || !chosenType()) {
      event.preventDefault();
      if (!chosenType()) say("Choose a type first: keys 1-9, or / to filter.");
      return;
    }
    submitting = true;
    if (save) save.classList.add("busy");
  });
  if (skipForm) {
    skipForm.addEventListener("submit", () => {
      submitting = true;
    });
  }

  function isTextBox(element) {
    return element.matches('input[type="text"], input[type="search"], textarea, select') || element.isContentEditable;
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const target = event.target instanceof Element ? event.target : document.body;
    const key = event.key;
    if (event.altKey || event.ctrlKey || event.metaKey) return; // the browser's shortcuts

    if (key === "PageDown" || key === "PageUp") {
      event.preventDefault();
      showPage(current + (key === "PageDown" ? 1 : -1));
      return;
    }
    if (target === filter) {
      if (key === "Enter") {
        event.preventDefault();
        pickFiltered();
      } else if (key === "Escape") {
        event.preventDefault();
        clearFilter();
        filter.blur();
      }
      return;
    }
    if (skip && skip.open && !readonly) {
      const reasons = skipReasons();
      if (key === "Escape") {
        event.preventDefault();
        closeSkip();
        return;
      }
      if (skip.contains(target) && isTextBox(target)) return; // the note: Enter posts natively
      const reason = reasons.find((input) => input.dataset.key === key);
      if (reason) {
        event.preventDefault();
        reason.checked = true;
        submitSkip();
        return;
      }
      if (key === "Enter" && !target.matches("button, summary, a")) {
        event.preventDefault();
        submitSkip();
        return;
      }
    }
    if (target.matches("input[data-field]")) {
      if (key === "Escape") {
        event.preventDefault();
        target.blur();
        showFieldBox(null);
      }
      return; // Enter submits the form natively
    }
    if (isTextBox(target)) return;

    const onNothing = target === document.body || target.matches('input[name="document_type"]') || target === viewer;
    if (key === "Tab" && onNothing) {
      const fields = visibleFields();
      if (fields.length) {
        event.preventDefault();
        (event.shiftKey ? fields[fields.length - 1] : fields[0]).focus();
      }
      return;
    }
    if (key === "Enter") {
      if (target.matches("button, a, summary, input:not([type=radio])")) return;
      event.preventDefault();
      submitLabel();
      return;
    }
    if (key === "Escape" && !readonly) {
      event.preventDefault();
      openSkip();
      return;
    }
    const numbered = typeInputs.find((input) => input.dataset.key === key);
    if (numbered && !readonly) {
      event.preventDefault();
      if (filter) clearFilter();
      choose(numbered);
    } else if (key === "/" && filter && !readonly) {
      event.preventDefault();
      filter.focus();
    } else if (key === "b") {
      setBoxes(!boxesToggle.checked);
    } else if (key === "+" || key === "=") {
      stepZoom(1);
    } else if (key === "-" || key === "_") {
      stepZoom(-1);
    } else if (key === "0") {
      setZoom(1);
    } else if (key === "u") {
      const undo = document.getElementById("wb-undo");
      if (undo) undo.click();
    }
  });

  showPage(0);
  showFields();
})();

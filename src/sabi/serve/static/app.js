// sabi's search page: drop, paste, pick or link an image; show where it comes from.
(() => {
  "use strict";

  const LIKELY = 0.8; // results below this similarity are folded away
  const $ = (id) => document.getElementById(id);
  const drop = $("drop");
  const fileInput = $("file");
  const urlForm = $("url-form");
  const urlInput = $("url");
  const thumb = $("query-thumb");
  const progress = $("progress");
  const barFill = $("bar-fill");
  const progressText = $("progress-text");
  const errorBox = $("error");
  const results = $("results");
  const template = $("card-template");
  const showFilter = $("show-filter");
  const cutBorders = $("cut");
  const shotsOffer = $("shots-offer");
  const shotsButton = $("shots-button");
  const shotsBox = $("shots");
  const shotsSummary = $("shots-summary");
  const timeline = $("timeline");
  const shotDetail = $("shot-detail");
  let current = null; // the request in flight
  let lastVideo = null; // the video file dropped last: it can be broken down into shots
  let thumbUrl = null;

  // ----- words for people

  const MESSAGES = {
    400: ["That file can't be searched.", "Try a PNG, JPEG, WebP or GIF screenshot, or a short video clip."],
    402: ["You've used up today's searches.", "The quota resets over the next 24 hours; an API key gives you more."],
    403: ["This server didn't accept the API key.", ""],
    404: ["Not found.", ""],
    405: ["There was nothing to search.", "Drop, paste or choose an image first."],
    410: ["That preview has expired.", "Search again for fresh previews."],
    413: ["That file is too large.", "Images and clips up to 25 MB can be searched; try a screenshot instead."],
    429: ["Too many searches at once.", "Wait a few seconds and try again."],
    500: ["Something went wrong on the server.", "Please try again; if it keeps happening, tell whoever runs this server."],
    503: ["The server is busy right now.", "Try again in a moment."],
    0: ["Couldn't reach the server.", "Check your connection and try again."],
  };

  function showError(status, detail) {
    const [title, hint] = MESSAGES[status] || MESSAGES[500];
    errorBox.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = title;
    errorBox.append(strong);
    if (detail) {
      const p = document.createElement("div");
      p.textContent = detail.charAt(0).toUpperCase() + detail.slice(1) + (/[.!?]$/.test(detail) ? "" : ".");
      errorBox.append(p);
    }
    if (hint) {
      const small = document.createElement("small");
      small.textContent = hint;
      errorBox.append(small);
    }
    errorBox.hidden = false;
  }

  // ----- helpers

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${String(m).padStart(2, "0")}:${ss}`;
  }

  function simColour(sim) {
    if (sim >= 0.9) return "var(--good)";
    if (sim >= LIKELY) return "var(--mid)";
    return "var(--low)";
  }

  function setBusy(text, fraction) {
    progress.hidden = false;
    progressText.textContent = text;
    const bar = barFill.parentElement;
    if (fraction == null) {
      bar.classList.add("busy");
      barFill.style.width = "";
    } else {
      bar.classList.remove("busy");
      barFill.style.width = `${Math.round(fraction * 100)}%`;
    }
  }

  function setIdle() {
    progress.hidden = true;
  }

  function params() {
    const p = new URLSearchParams();
    p.set("anilistInfo", "1");
    p.set("cutBorders", cutBorders.checked ? "1" : "0");
    if (showFilter.value) p.set("anilistID", showFilter.value);
    return p;
  }

  function showQueryThumb(blob) {
    if (thumbUrl) URL.revokeObjectURL(thumbUrl);
    thumbUrl = null;
    if (blob && blob.type.startsWith("image/")) {
      thumbUrl = URL.createObjectURL(blob);
      thumb.src = thumbUrl;
      thumb.hidden = false;
    } else {
      thumb.hidden = true;
    }
  }

  // ----- searching

  function send(method, url, body, done = render) {
    if (current) current.abort();
    errorBox.hidden = true;
    results.replaceChildren();
    shotsBox.hidden = true;
    const xhr = new XMLHttpRequest();
    current = xhr;
    xhr.open(method, url);
    xhr.responseType = "json";
    xhr.timeout = 120000;
    if (body) {
      setBusy("Uploading…", 0);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) setBusy(`Uploading… ${Math.round((100 * e.loaded) / e.total)}%`, e.loaded / e.total);
      };
      xhr.upload.onload = () => setBusy("Searching…", null);
    } else {
      setBusy("Fetching the image and searching…", null);
    }
    xhr.onload = () => {
      if (current !== xhr) return;
      current = null;
      setIdle();
      const data = xhr.response;
      if (xhr.status !== 200 || !data || data.error) {
        showError(xhr.status === 200 ? 500 : xhr.status, data && data.error);
        return;
      }
      done(data);
    };
    xhr.onerror = xhr.ontimeout = () => {
      if (current !== xhr) return;
      current = null;
      setIdle();
      showError(0);
    };
    xhr.send(body || null);
  }

  function searchFile(file) {
    if (!file) return;
    showQueryThumb(file);
    lastVideo = file.type.startsWith("video/") ? file : null;
    shotsOffer.hidden = !lastVideo;
    const form = new FormData();
    form.append("image", file, file.name || "pasted-image");
    send("POST", `search?${params()}`, form);
  }

  function searchUrl(link) {
    const text = (link || "").trim();
    if (!text) return;
    if (!/^https?:\/\//i.test(text)) {
      showError(400, "a link must start with http:// or https://");
      return;
    }
    showQueryThumb(null);
    lastVideo = null;
    shotsOffer.hidden = true;
    const p = params();
    p.set("url", text);
    send("GET", `search?${p}`);
  }

  // ----- results

  function card(item, best, nearest = false) {
    const node = template.content.firstElementChild.cloneNode(true);
    const show = item.anilist && typeof item.anilist === "object" ? item.anilist.title.english || item.anilist.title.romaji : item.show.title;
    node.querySelector(".title").textContent = show || item.filename;
    const ep = item.episode == null ? item.filename : `Episode ${item.episode}`;
    node.querySelector(".episode").textContent = ep;
    node.querySelector(".range").textContent = `${clock(item.from)} – ${clock(item.to)} · best at ${clock(item.at)}`;
    node.querySelector(".time-badge").textContent = clock(item.at);
    const pct = Math.round(item.similarity * 1000) / 10;
    const meter = node.querySelector(".sim");
    meter.setAttribute("aria-valuenow", String(pct));
    meter.setAttribute("aria-label", `similarity ${pct}%`);
    const fill = node.querySelector(".sim-fill");
    fill.style.width = `${Math.max(2, pct)}%`;
    fill.style.background = simColour(item.similarity);
    node.querySelector(".sim-text").textContent = `${pct.toFixed(1)}%`;
    const still = node.querySelector(".still");
    still.src = item.image.replace("size=m", "size=l");
    still.alt = `${show}, ${ep}, at ${clock(item.at)}`;
    const links = node.querySelector(".links");
    if (item.link) {
      const a = document.createElement("a");
      a.href = item.link;
      a.textContent = "Watch";
      a.rel = "noopener";
      a.target = "_blank";
      links.append(a);
    }
    const clip = document.createElement("a");
    clip.href = item.video;
    clip.textContent = "Open clip";
    clip.target = "_blank";
    links.append(clip);
    if (best) {
      node.classList.add("best");
      const label = document.createElement("span");
      label.className = "label-best";
      label.textContent = nearest ? "Nearest" : "Best match";
      node.querySelector(".info").prepend(label);
    }
    // the wide best card gets the 640 px clip, the others 320 px
    node.dataset.video = `${best ? item.video.replace("size=m", "size=l") : item.video}&mute`;
    return node;
  }

  // Clips load when their card scrolls into view, and start at the matched moment.
  const watcher = "IntersectionObserver" in window
    ? new IntersectionObserver((entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting) {
            watcher.unobserve(entry.target);
            loadClip(entry.target);
          }
        }
      }, { rootMargin: "200px" })
    : null;

  async function loadClip(node) {
    const video = node.querySelector("video");
    try {
      const response = await fetch(node.dataset.video);
      if (!response.ok) return; // the still stays
      const offset = parseFloat(response.headers.get("x-match-offset") || "0") || 0;
      const blob = await response.blob();
      video.src = URL.createObjectURL(blob);
      video.addEventListener("loadedmetadata", () => {
        if (offset > 0 && offset < video.duration) video.currentTime = offset;
      }, { once: true });
      video.addEventListener("playing", () => video.classList.add("playing"), { once: true });
      await video.play().catch(() => {});
    } catch (_) {
      // keep the still
    }
  }

  function render(data) {
    const items = data.result || [];
    results.replaceChildren();
    if (!items.length) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = "No match found. Is this show indexed on this server? A sharper, uncropped screenshot helps.";
      results.append(p);
      return;
    }
    // The server says whether the best scene passes its calibrated threshold (`found`); when
    // it does not, the scene is probably not indexed and every result is only "nearest".
    const found = data.found !== false;
    const likely = found ? items.filter((r, i) => i === 0 || r.similarity >= LIKELY) : [];
    const unlikely = items.filter((r) => !likely.includes(r));
    const summary = document.createElement("p");
    summary.className = found ? "summary" : "summary not-found";
    summary.textContent = likely.length
      ? `${likely.length} likely match${likely.length > 1 ? "es" : ""} among ${data.frameCount.toLocaleString()} indexed frames`
      : `Probably not in this library: nothing among ${data.frameCount.toLocaleString()} indexed frames is close enough. The nearest scenes are below, but they are likely not it.`;
    results.append(summary);
    const grid = document.createElement("div");
    grid.className = "grid";
    likely.forEach((r, i) => grid.append(card(r, i === 0)));
    if (likely.length) results.append(grid);
    if (unlikely.length) {
      const more = document.createElement("details");
      more.className = "more";
      if (!likely.length) more.open = true;
      const s = document.createElement("summary");
      s.textContent = `Show less likely results (${unlikely.length})`;
      const g = document.createElement("div");
      g.className = "grid";
      unlikely.forEach((r, i) => g.append(card(r, !likely.length && i === 0, true)));
      more.append(s, g);
      results.append(more);
      more.addEventListener("toggle", () => more.open && g.querySelectorAll(".card").forEach(observe));
    }
    grid.querySelectorAll(".card").forEach(observe);
    if (!likely.length) results.querySelectorAll(".more .card").forEach(observe);
  }

  // ----- a clip broken down into shots: a timeline, one segment a shot

  function breakDown() {
    if (!lastVideo) return;
    const form = new FormData();
    form.append("file", lastVideo, lastVideo.name || "clip");
    const p = params();
    send("POST", `shots?${p}`, form, renderShots);
  }

  function shotName(r) {
    if (!r) return "Not found";
    const show = r.anilist && typeof r.anilist === "object" ? r.anilist.title.english || r.anilist.title.romaji : r.show.title;
    const ep = r.episode == null ? r.filename : `Episode ${r.episode}`;
    return `${show || r.filename} · ${ep}`;
  }

  function shotColour(key, colours) {
    if (!colours.has(key)) {
      const hue = (colours.size * 137.508 + 200) % 360; // golden angle: neighbours differ
      colours.set(key, `hsl(${hue.toFixed(0)} 65% 55%)`);
    }
    return colours.get(key);
  }

  function renderShots(data) {
    const shots = data.shots || [];
    shotsBox.hidden = false;
    timeline.replaceChildren();
    shotDetail.replaceChildren();
    if (!shots.length) {
      shotsSummary.textContent = "No shot long enough to search was found in this clip.";
      return;
    }
    const total = Math.max(...shots.map((s) => s.end)) || 1;
    const found = shots.filter((s) => s.result).length;
    shotsSummary.textContent = `${shots.length} shot${shots.length > 1 ? "s" : ""} in ${clock(total)}; ${found} found`;
    const colours = new Map();
    shots.forEach((shot, i) => {
      const seg = document.createElement("button");
      seg.type = "button";
      seg.className = shot.result ? "seg" : "seg none";
      const name = shotName(shot.result);
      seg.dataset.label = name;
      seg.textContent = shot.result ? (shot.result.episode == null ? shot.result.filename : `Ep ${shot.result.episode}`) : "?";
      seg.title = `${clock(shot.start)}–${clock(shot.end)}: ${name}`;
      seg.setAttribute("aria-label", seg.title);
      seg.style.left = `${(100 * shot.start) / total}%`;
      seg.style.width = `${(100 * (shot.end - shot.start)) / total}%`;
      if (shot.result) seg.style.background = shotColour(`${shot.result.show.id}/${shot.result.episode_id}`, colours);
      seg.addEventListener("click", () => showShot(shot, seg));
      timeline.append(seg);
      if (i === 0) showShot(shot, seg);
    });
  }

  function showShot(shot, seg) {
    timeline.querySelectorAll(".seg").forEach((s) => s.classList.toggle("chosen", s === seg));
    shotDetail.replaceChildren();
    const head = document.createElement("p");
    head.className = "shot-head";
    head.textContent = `Shot ${clock(shot.start)} – ${clock(shot.end)} of your clip`;
    shotDetail.append(head);
    if (!shot.result) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = "Not found: this shot is probably not from anything indexed on this server.";
      shotDetail.append(p);
      return;
    }
    const node = card(shot.result, true);
    shotDetail.append(node);
    observe(node);
  }

  shotsButton.addEventListener("click", breakDown);

  function observe(node) {
    if (node.dataset.observed) return;
    node.dataset.observed = "1";
    if (watcher) watcher.observe(node);
    else loadClip(node);
  }

  // ----- ways in: drop, paste, pick, link

  drop.addEventListener("click", (e) => {
    if (e.target.closest("label")) return; // the label opens the picker itself
    fileInput.click();
  });
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      fileInput.click();
    }
  });
  fileInput.addEventListener("change", () => {
    searchFile(fileInput.files[0]);
    fileInput.value = "";
  });
  ["dragenter", "dragover"].forEach((t) =>
    document.addEventListener(t, (e) => {
      e.preventDefault();
      drop.classList.add("over");
    }),
  );
  ["dragleave", "drop"].forEach((t) =>
    document.addEventListener(t, (e) => {
      e.preventDefault();
      if (t === "drop" || e.target === document.documentElement || !e.relatedTarget) drop.classList.remove("over");
    }),
  );
  document.addEventListener("drop", (e) => {
    const dt = e.dataTransfer;
    if (!dt) return;
    if (dt.files && dt.files.length) {
      searchFile(dt.files[0]);
      return;
    }
    const link = dt.getData("text/uri-list") || dt.getData("text/plain");
    if (link) {
      urlInput.value = link.split("\n")[0];
      searchUrl(urlInput.value);
    }
  });
  document.addEventListener("paste", (e) => {
    const cd = e.clipboardData;
    if (!cd) return;
    const file = [...(cd.files || [])].find((f) => f.type.startsWith("image/") || f.type.startsWith("video/"));
    if (file) {
      e.preventDefault();
      searchFile(file);
      return;
    }
    if (e.target === urlInput) return; // let the URL box take the text
    const text = cd.getData("text/plain").trim();
    if (/^https?:\/\//i.test(text)) {
      e.preventDefault();
      urlInput.value = text;
      searchUrl(text);
    }
  });
  urlForm.addEventListener("submit", (e) => {
    e.preventDefault();
    searchUrl(urlInput.value);
  });

  // ----- the show filter

  fetch("shows")
    .then((r) => (r.ok ? r.json() : []))
    .then((shows) => {
      for (const s of shows) {
        const o = document.createElement("option");
        o.value = String(s.id);
        o.textContent = `${s.title} (${s.episodes})`;
        showFilter.append(o);
      }
    })
    .catch(() => {});
})();

// The dashboard's pages. Everything is drawn from this coordinator's /api JSON and its live event stream; text from the
// network is only ever set as text (never parsed as HTML); charts are SVG that the coordinator draws and escapes.
"use strict";
(() => {
  const main = document.querySelector("main");
  const page = main.dataset.page;
  const content = document.getElementById("content");
  const notice = document.getElementById("notice");
  const title = document.getElementById("title");
  for (const a of document.querySelectorAll("nav a")) if (a.dataset.nav === page || (page === "job" && a.dataset.nav === "jobs")) a.classList.add("current");

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, String(v)); else node[k] = v;
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  };
  const section = (heading, ...children) => el("section", {}, el("h2", {}, heading), ...children);
  const table = (id, headers, rows) => el("table", { id },
    el("thead", {}, el("tr", {}, headers.map(h => el("th", { class: h.num ? "num" : "" }, h.text ?? h)))),
    el("tbody", {}, rows));
  const td = (text, cls) => el("td", { class: cls || "" }, text);
  const num = (value, digits = 2) => value === null || value === undefined || Number.isNaN(Number(value)) ? "–" : Number(value).toFixed(digits);
  const pct = (value, digits = 1) => value === null || value === undefined ? "–" : `${(100 * value).toFixed(digits)}%`;
  const short = (text, n = 14) => !text ? "–" : text.length > n ? text.slice(0, n - 1) + "…" : text;
  const figure = (label, value) => el("div", { class: "figure" }, el("b", {}, value), el("span", {}, label));
  const micros = m => (Number(m) / 1e6).toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
  const say = text => { notice.textContent = text || ""; };

  // An SVG chart the coordinator drew; data-points says how many points it holds, data-updated-at when one was added.
  const chart = (figureNode, svg) => {
    const before = Number(figureNode.dataset.points || 0);
    figureNode.innerHTML = svg;
    const points = Number(figureNode.firstElementChild?.getAttribute("data-points") || 0);
    figureNode.dataset.points = String(points);
    if (points > before) figureNode.dataset.updatedAt = String(Date.now());
  };

  const getJson = async url => {
    const response = await fetch(url, { credentials: "same-origin" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || body.title || `${response.status} ${response.statusText}`);
    return body;
  };

  // Live events: a snapshot first, then each change. The browser reconnects on its own after a drop.
  const live = (url, render) => {
    const source = new EventSource(url);
    const status = document.getElementById("live");
    source.onopen = () => { document.body.dataset.live = "open"; status.textContent = "live"; };
    source.onerror = () => { document.body.dataset.live = "reconnecting"; status.textContent = "reconnecting…"; };
    source.addEventListener("problem", event => { source.close(); say(JSON.parse(event.data).detail); status.textContent = ""; });
    for (const name of ["snapshot", "network", "round", "verdict", "settlement", "state", "shard", "purge", "job"])
      source.addEventListener(name, event => render(name, JSON.parse(event.data)));
    return source;
  };

  const pages = {
    network() {
      const coordinators = el("div"), classes = el("div"), market = el("div"), workers = el("div");
      const price = el("figure", { id: "price-chart" }), volume = el("figure", { id: "volume-chart" });
      content.append(section("Coordinators", coordinators), section("Market by hardware class", market),
        el("div", { class: "charts" }, price, volume), section("Workers by class and state", classes), section("Workers", workers));
      live("/api/events", (_, { network: n }) => {
        coordinators.replaceChildren(table("coordinators", ["Coordinator", "State", ""],
          n.coordinators.map(c => el("tr", {}, td(c.name, "mono"), td(c.status), td(c.serving ? "serving this page" : "", "muted")))));
        market.replaceChildren(table("market", ["Class", "Registered", "Idle", "Demand",
          { text: "Clearing price", num: true }, { text: "Lowest ask", num: true }, { text: "Median ask", num: true }],
          n.market.map(m => el("tr", { "data-class": m.class }, td(m.class, "mono"), td(m.registered), td(m.idle), td(m.demand),
            td(m.clearingPrice === null ? "–" : num(m.clearingPrice, 4), "num clearing-price"), td(num(m.lowestAsk, 4), "num"), td(num(m.medianAsk, 4), "num")))));
        classes.replaceChildren(table("classes", ["Class", "State", "Workers"],
          n.classes.map(c => el("tr", {}, td(c.class, "mono"), td(c.state), td(c.workers)))));
        workers.replaceChildren(table("workers", ["Worker", "Device", "Class", "State", { text: "Throughput", num: true },
          { text: "Reliability", num: true }, { text: "Shards", num: true }, { text: "Ask", num: true }],
          n.workers.map(w => el("tr", { "data-worker": w.id }, td(w.id, "mono"), td(w.device), td(w.class, "mono"), td(w.state),
            td(num(w.throughput, 1), "num"), td(pct(w.reliability), "num"), td(w.completedShards, "num"), td(num(w.price, 4), "num")))));
        chart(price, n.priceChart);
        chart(volume, n.volumeChart);
      });
    },

    quote() {
      const spec = el("textarea", { id: "spec", spellcheck: false, placeholder: "Paste a job spec (YAML), e.g. examples/mnist-mlp.yaml" });
      const file = el("input", { id: "spec-file", type: "file", accept: ".yaml,.yml,text/yaml" });
      const button = el("button", { id: "quote-button", type: "button" }, "Quote");
      const result = el("div", { id: "quote-result" });
      content.append(section("Job spec", spec, el("p", {}, "or upload one: ", file, " ", button)), result);
      file.addEventListener("change", async () => { if (file.files[0]) spec.value = await file.files[0].text(); });
      button.addEventListener("click", async () => {
        say("");
        result.replaceChildren(el("p", { class: "muted" }, "asking the network…"));
        const response = await fetch("/api/quote", { method: "POST", body: spec.value, headers: { "Content-Type": "text/plain" } });
        const text = await response.text();
        if (!response.ok) {
          result.replaceChildren();
          let detail = text;
          try { detail = JSON.parse(text).detail || text; } catch { /* plain text */ }
          say(detail);
          return;
        }
        const q = JSON.parse(text);
        result.dataset.json = text;
        const refs = q.cloud.references;
        const cheapest = refs.length ? refs.reduce((a, b) => (b.usdPerHour < a.usdPerHour ? b : a)) : null;
        result.replaceChildren(
          section(`Quote for ${q.name}`,
            el("p", {}, `${q.rounds} round(s) × ${q.shards} shard(s)${q.replicas > 1 ? ` × ${q.replicas} replicas` : ""} × ${q.innerSteps} ${q.inference ? "batches" : "steps"} = ${q.results} shard results`),
            el("div", { class: "figures" },
              figure("compute-hours", num(q.computeHours, 6)), figure("GENS per compute-hour", num(q.pricePerHour, 6)),
              figure("cost, GENS", q.cost), figure("duration", `~${Math.round(q.durationSeconds)} s`),
              figure("USD at the assumed rate", num(q.cloud.costUsd, 6)),
              el("div", { class: "figure", id: "saving" }, el("b", {}, cheapest ? `${cheapest.savingPercent.toFixed(1)}%` : "–"),
                el("span", {}, cheapest ? `saving against ${cheapest.provider} ${cheapest.instance}, the cheapest comparable cloud price` : "no comparable cloud price"))),
            el("p", { class: "muted" }, `${q.basis}. ${q.fitsBudget ? `Fits budget.max-total (${q.maxTotal} GENS).` : `More than budget.max-total (${q.maxTotal} GENS): raise it to at least ${q.cost}.`}`)),
          section(`On-demand cloud prices (as of ${q.cloud.asOf}; 1 GENS = ${q.cloud.gensUsd} USD assumed)`,
            table("cloud-prices", ["Instance", "Hardware", { text: "USD/h", num: true }, { text: "Cost USD", num: true }, { text: "Saving", num: true }],
              refs.map(r => el("tr", {}, td(`${r.provider} ${r.instance}`), td(r.hardware), td(num(r.usdPerHour, 3), "num"),
                td(num(r.costUsd, 6), "num"), td(`${r.savingPercent >= 0 ? "+" : ""}${r.savingPercent.toFixed(1)}%`, "num"))))));
      });
      document.body.dataset.live = "open";
      document.getElementById("live").textContent = "";
    },

    settlements() {
      const list = el("div");
      content.append(section("Recent settlements on chain", list));
      live("/api/events", (_, { settlements }) => list.replaceChildren(table("settlements",
        ["When", "Job", "Kind", "Status", { text: "GENS", num: true }, { text: "Gas", num: true }, "Transaction"],
        settlements.map(s => el("tr", { "data-tx": s.txHash || "" }, td(new Date(s.at).toLocaleString()), td(s.jobId, "mono"), td(s.kind),
          td(s.status, s.status === "reverted" ? "bad" : ""), td(s.amount, "num"), td(s.gasUsed ? s.gasUsed.toLocaleString() : "–", "num"),
          td(s.txHash || "–", "mono"))))));
    },

    jobs() {
      const list = el("div");
      content.append(list);
      const load = async () => {
        const mine = await getJson("/api/jobs");
        if (!mine.signedIn) {
          say("Sign in to see your jobs: run `gensyn dashboard`, which opens this page signed in as your wallet.");
          return;
        }
        title.textContent = `My jobs (${short(mine.address, 12)})`;
        list.replaceChildren(section(`${mine.jobs.length} job(s)`, table("jobs",
          ["Job", "Name", "State", "Rounds", { text: "Match rate", num: true }, { text: "Accuracy", num: true }, { text: "Paid GENS", num: true }, "Submitted"],
          mine.jobs.map(j => el("tr", { "data-job": j.jobId },
            el("td", { class: "mono" }, el("a", { href: `/jobs/${encodeURIComponent(j.jobId)}` }, j.jobId)), td(j.name), td(j.state),
            td(`${j.roundHistory.length}/${j.rounds}`), td(pct(j.matchRate), "num"), td(pct(j.testAccuracy, 2), "num"),
            td(j.money ? micros(j.money.paidMicros) : "–", "num"), td(new Date(j.submittedAt).toLocaleString()))))));
      };
      load().catch(e => say(e.message));
      live("/api/events", () => load().catch(e => say(e.message)));
    },

    job() {
      const id = decodeURIComponent(location.pathname.split("/").pop());
      const lossChart = el("figure", { id: "loss-chart", "data-points": "0" });
      live(`/api/events?job=${encodeURIComponent(id)}`, (_, card) => renderJob(id, card, lossChart));
    },
  };

  function renderJob(id, { view: v, owner, chart: svg }, lossChart) {
    title.textContent = `${v.name || "Job"} · ${id}`;
    const state = el("b", { id: "job-state" }, v.state);
    const done = v.roundHistory.length;
    const head = el("div", { class: "figures" },
      el("div", { class: "figure" }, state, el("span", {}, "state")),
      figure("rounds done", `${owner ? done : Math.min(v.round, v.rounds)}/${v.rounds}`),
      figure("match rate", pct(v.matchRate)));
    if (!owner) {
      content.replaceChildren(head, el("p", { id: "summary-only", class: "muted" },
        "This is the job's public summary. Its payer sees its rounds, shards, verdicts and money after signing in with `gensyn dashboard`."));
      return;
    }
    if (v.testAccuracy !== null && v.testAccuracy !== undefined) head.append(figure("test accuracy", pct(v.testAccuracy, 2)));
    if (v.money) head.append(figure("paid to workers, GENS", micros(v.money.paidMicros)));
    chart(lossChart, svg);
    const parts = [head];
    if (v.reason) parts.push(el("p", { class: v.state === "failed" ? "bad" : "muted" }, v.reason));
    if (v.finalDigest) parts.push(el("p", {}, "final digest ", el("span", { class: "mono" }, v.finalDigest)));
    if (v.state === "completed")
      parts.push(el("p", {}, el("a", { id: "download", class: "button", href: `/api/jobs/${encodeURIComponent(id)}/result` },
        v.kind === "inference" ? "Download the predictions (CSV)" : "Download the model (safetensors)")));
    parts.push(el("div", { class: "charts" }, lossChart));
    parts.push(section("Shards", shardMap(v)));
    const rejected = (v.verdicts || []).filter(x => x.outcome !== "accepted");
    parts.push(section(`Rejections (${rejected.length})`, rejected.length === 0 ? el("p", { id: "rejections", class: "muted" }, "none: every verified result was accepted")
      : table("rejections", ["Round", "Shard", "Worker", "Verdict", "Reason"],
        rejected.map(r => el("tr", {}, td(r.round + 1), td(r.shard), td(short(r.workerId), "mono"), td(r.outcome, "bad"), td(r.reason, "wrap"))))));
    parts.push(section("Money", money(v.money)));
    content.replaceChildren(...parts);
  }

  // Rounds down, shards across: who ran each shard and its verdict; the open round shows each shard's progress.
  function shardMap(v) {
    const shards = Math.max(v.shardsPerRound, 1);
    const verdicts = new Map();
    for (const x of v.verdicts || []) verdicts.set(`${x.round}/${x.shard}`, x);
    const header = ["Round", ...Array.from({ length: shards }, (_, s) => `Shard ${s}`)];
    const rows = v.roundHistory.map(r => el("tr", { "data-round": r.round + 1 }, td(r.round + 1),
      Array.from({ length: shards }, (_, s) => {
        const verdict = verdicts.get(`${r.round}/${s}`);
        const ok = !verdict || verdict.outcome === "accepted";
        return td(`${short(verdict?.workerId || r.workers[s], 12)} ${verdict ? (ok ? "✓ accepted" : `✗ ${verdict.outcome}`) : ""}`, ok ? "cell-ok" : "cell-bad");
      })));
    if (v.shards.length > 0 && !["completed", "failed", "cancelled"].includes(v.state))
      rows.push(el("tr", { "data-round": v.round + 1 }, td(v.round + 1), Array.from({ length: shards }, (_, s) => {
        const shard = v.shards.find(x => x.shard === s);
        return td(shard ? `${short(shard.workerId, 12)} ${shard.state} ${shard.step}/${shard.innerSteps}` : "", "cell-run");
      })));
    return table("shard-map", header, rows);
  }

  function money(m) {
    if (!m) return el("p", { id: "money", class: "muted" }, "this network does not settle on chain");
    const payees = new Map();
    for (const s of m.settlements) if (s.kind === "payRound" && s.status === "confirmed")
      for (const p of s.payees) payees.set(p.address, { id: p.workerId, micros: (payees.get(p.address)?.micros || 0) + p.micros });
    return el("div", { id: "money" },
      el("div", { class: "figures" }, figure("deposited", micros(m.depositMicros)), figure("paid to workers", micros(m.paidMicros)),
        figure("refunded", micros(m.refundedMicros)), figure("pending orders", m.pending.length)),
      el("h2", {}, "Paid per worker"),
      table("payees", ["Worker", "Address", { text: "GENS", num: true }],
        [...payees.entries()].map(([address, p]) => el("tr", {}, td(short(p.id), "mono"), td(address, "mono"), td(micros(p.micros), "num")))),
      el("h2", {}, "Every transaction"),
      table("transactions", ["Settlement", "Kind", "Status", { text: "GENS", num: true }, { text: "Gas", num: true }, "Transaction"],
        m.settlements.map(s => el("tr", { "data-tx": s.txHash || "" }, td(s.label), td(s.kind), td(s.status, s.status === "reverted" ? "bad" : ""),
          td(micros(s.amountMicros), "num"), td(s.gasUsed ? s.gasUsed.toLocaleString() : "–", "num"), td(s.txHash || s.reason || "–", "mono")))));
  }

  (pages[page] || (() => { document.body.dataset.live = "open"; }))();
})();

// Opens a `triage run --format html` page in headless Chromium (playwright-core driving the
// Debian chromium) and checks it as a reader would: every finding present, the filters work,
// each host's findings a click away, nothing fetched from anywhere. Saves a screenshot.
//
//   node check_report.js PAGE.html EXPECT.json SCREENSHOT.png USER_DATA_DIR
//
// EXPECT.json: {"findings": ["INPUT#RULE", …],          every finding of the report
//               "with_evidence": ["INPUT#RULE", …],     detected findings that have evidence
//               "detected": {"RULE": ["INPUT", …], …},  unwaived detections per rule
//               "inputs": ["INPUT", …],
//               "host_filter": {"text": "…", "inputs": ["INPUT", …]}}   (fleet pages only)
// Prints "ok" and exits 0, or prints what failed and exits 1. Run by tests/reports.rs.

const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const [page_file, expect_file, screenshot, user_data] = process.argv.slice(2);
const expect = JSON.parse(fs.readFileSync(expect_file, 'utf8'));
const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
}
function same(a, b) {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

(async () => {
  const context = await chromium.launchPersistentContext(user_data, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    const requests = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('file://' + path.resolve(page_file));

    const findings = await page.$$eval('[data-finding]', (els) => els.map((e) => e.getAttribute('data-finding')));
    check(same(new Set(findings), expect.findings), `findings on the page: ${JSON.stringify(findings)}`);
    check(findings.length === new Set(findings).size, 'each finding once');

    const visible = () =>
      page.$$eval('tr.host-row', (rows) => rows.filter((r) => !r.hidden).map((r) => r.getAttribute('data-input')));
    const sections = () =>
      page.$$eval('section.host', (ss) => ss.filter((s) => !s.hidden).map((s) => s.getAttribute('data-input')));

    if (expect.inputs.length > 1) {
      check(same(await visible(), expect.inputs), 'every input in the matrix');
      for (const [rule, inputs] of Object.entries(expect.detected)) {
        await page.selectOption('#filter-rule', rule);
        const rows = await visible();
        check(same(rows, inputs), `filter ${rule}: rows ${JSON.stringify(rows)}, expected ${JSON.stringify(inputs)}`);
        check(same(await sections(), inputs), `filter ${rule}: host sections follow the rows`);
        const count = await page.textContent('#shown');
        check(count === String(inputs.length), `filter ${rule}: "${count}" shown`);
        const header = await page.getAttribute(`th[data-rule-count="${rule}"]`, 'data-rule-count');
        const n = await page.textContent(`th[data-rule-count="${rule}"]`);
        check(header === rule && n === String(inputs.length), `count of ${rule}: ${n}`);
      }
      await page.selectOption('#filter-rule', '');
      await page.selectOption('#filter-outcome', 'unreadable');
      check((await visible()).length === (expect.unreadable || []).length, 'outcome filter: unreadable inputs');
      await page.selectOption('#filter-outcome', '');
      await page.fill('#filter-host', expect.host_filter.text);
      check(same(await visible(), expect.host_filter.inputs), `host filter "${expect.host_filter.text}": ${JSON.stringify(await visible())}`);
      await page.fill('#filter-host', '');
      check(same(await visible(), expect.inputs), 'clearing the filters shows every input again');

      // A host's findings are one click away: its row links to its section.
      const first = Object.entries(expect.detected).find(([, inputs]) => inputs.length > 0);
      if (first) {
        const [rule, inputs] = first;
        const link = page.locator(`tr.host-row[data-input="${inputs[0]}"] td.host a`);
        await link.click();
        const hash = await page.evaluate(() => location.hash);
        const target = await page.$eval(hash, (s) => s.getAttribute('data-input'));
        check(target === inputs[0], `the host link leads to its section (${hash} -> ${target})`);
        const inSection = await page.$$eval(`${hash} [data-finding="${inputs[0]}#${rule}"]`, (e) => e.length);
        check(inSection === 1, `${rule} is in ${inputs[0]}'s section`);
        const cell = page.locator(`tr.host-row[data-input="${inputs[0]}"] td[data-outcome="detected"] a`).first();
        await cell.click();
        const cellHash = await page.evaluate(() => location.hash);
        check(/^#f-\d+-/.test(cellHash), `a detected cell links to its finding (${cellHash})`);
        await page.evaluate(() => window.scrollTo(0, 0));
      }
    }

    // Every detected finding shows its evidence and its fix.
    const articles = await page.$$eval('article.finding', (as) =>
      as.map((a) => ({ id: a.getAttribute('data-finding'), evidence: !!a.querySelector('ul.evidence li'), fix: !!a.querySelector('pre.fix') })),
    );
    for (const a of articles) {
      check(a.fix, `${a.id} shows its fix`);
      check(a.evidence || !expect.with_evidence.includes(a.id), `${a.id} shows its evidence`);
    }
    for (const id of expect.with_evidence) check(articles.some((a) => a.id === id), `${id} is shown`);
    const detected = Object.values(expect.detected).reduce((n, l) => n + l.length, 0);
    check(articles.length >= detected, `${articles.length} findings shown for ${detected} detections`);

    check(requests.length === 0, `no network: ${JSON.stringify(requests)}`);
    check(errors.length === 0, `no script errors: ${JSON.stringify(errors)}`);
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await context.close();
  }
  if (failures.length) {
    console.log(failures.join('\n'));
    process.exit(1);
  }
  console.log('ok');
})().catch((e) => {
  console.log(String(e && e.stack ? e.stack : e));
  process.exit(1);
});

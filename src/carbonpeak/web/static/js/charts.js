// ECharts (loaded as a classic script: the global `echarts`) with the dashboard's defaults.
import { lang } from './i18n.js';
import { num } from './format.js';

const live = new Set();

export const PALETTE = ['#1f7a63', '#3c8dbc', '#e0a13a', '#c8553d', '#7a5195', '#58a4b0',
  '#8cb369', '#bc4b51', '#5b8e7d', '#f4a259', '#2e4057', '#9c89b8'];

const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

export function available() { return typeof globalThis.echarts !== 'undefined'; }

/** Draw `option` into `el`; the chart is disposed when the page changes. */
export function chart(el, option) {
  if (!el || !available()) return null;
  const c = globalThis.echarts.init(el, null, { renderer: 'canvas', locale: lang() === 'zh' ? 'ZH' : 'EN' });
  c.setOption({
    color: PALETTE,
    textStyle: { fontFamily: FONT },
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v) => num(v) },
    grid: { left: 56, right: 20, top: 40, bottom: 36, containLabel: true },
    ...option,
  });
  live.add(c);
  return c;
}

export function disposeAll() {
  for (const c of live) c.dispose();
  live.clear();
}

window.addEventListener('resize', () => { for (const c of live) c.resize(); });

/** Axis label formatter with thousands separators. */
export const axisNum = { formatter: (v) => num(v, Number.isInteger(v) ? 0 : undefined) };

// One SVG line chart per benchmark, drawn by vega-lite (rendered headless, no canvas needed).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Plot } from './report.js';

export async function plotSvg(plot: Plot): Promise<string> {
  const values = plot.series.flatMap((series) => series.points.map((point) => ({ ...point, series: series.name })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: plot.title,
    width: 520,
    height: 280,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: plot.x, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: plot.y },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 2, labelLimit: 400 } },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// echarts.js - the parts of Apache ECharts the UI uses (tree-shaken), in a chunk of its own
// that is loaded only when a chart is first shown. Bar and line charts draw on a canvas; the
// CMDB graph draws SVG (its labels stay text, and hundreds of nodes stay crisp when zoomed).
import { BarChart, GraphChart, LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';

use([BarChart, GraphChart, LineChart, GridComponent, TooltipComponent, CanvasRenderer, SVGRenderer]);

export { init };

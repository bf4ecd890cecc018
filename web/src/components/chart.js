// chart.js - an Apache ECharts instance on a component's element: ECharts is loaded on first
// use (echarts.js, a chunk of its own), clicks and window resizes go to the component, and the
// chart is disposed with it. Shared by BarChart and ImpactGraph.
import { onBeforeUnmount } from 'vue';

/** Call in setup; el: the element's ref; renderer 'canvas' or 'svg'; onClick(params);
 * onResize() (default: the chart resizes). Returns an async function answering the chart
 * (made on its first call), or null when the element is gone (unmounted while loading). */
export function useChart(el, { renderer = 'canvas', onClick = null, onResize = null } = {}) {
    let chart = null;
    const resize = () => (onResize ? onResize() : chart?.resize());
    onBeforeUnmount(() => {
        window.removeEventListener('resize', resize);
        chart?.dispose();
        chart = null;
    });
    return async function getChart() {
        if (chart || !el.value) return chart;
        const echarts = await import('./echarts.js');
        if (!el.value) return null; // unmounted while loading
        if (!chart) {
            chart = echarts.init(el.value, null, { renderer });
            if (onClick) chart.on('click', onClick);
            window.addEventListener('resize', resize);
        }
        return chart;
    };
}

// Staff console, progressive enhancement only: every page reads and every form works without it.
// 1. Charts: an element with data-chart='{"kind", "title", "categories", "series", "unit"}' is drawn
//    with the vendored ECharts (the same numbers are in a table next to it).
// 2. Upload: a file dragged onto the drop zone goes into its plain <input type="file">.
(function () {
  "use strict";

  var COLORS = ["#1257a8", "#b3261e", "#1d6b35", "#7a4b00", "#6b4fa0"];

  function drawChart(el) {
    var spec;
    try {
      spec = JSON.parse(el.getAttribute("data-chart"));
    } catch (e) {
      return;
    }
    if (!spec || !spec.categories || !spec.categories.length) {
      return;
    }
    var horizontal = spec.kind === "hbar";
    var unit = spec.unit || "";
    var many = spec.series.length > 1;
    var rows = spec.categories.length;
    el.style.height = (horizontal ? Math.max(180, 70 + rows * (16 * spec.series.length + 12)) : 320) + "px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var category = {
      type: "category",
      data: spec.categories,
      inverse: horizontal,
      axisLabel: { color: "#4a5260", width: horizontal ? 190 : 90, overflow: "truncate", interval: 0 },
    };
    var value = {
      type: "value",
      axisLabel: { color: "#4a5260", formatter: "{value}" + unit },
      splitLine: { lineStyle: { color: "#e3e7ed" } },
    };
    chart.setOption({
      animation: false,
      color: COLORS,
      textStyle: { fontFamily: "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif" },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (v) {
          return v + unit;
        },
      },
      legend: many ? { top: 0 } : { show: false },
      grid: { left: 8, right: 40, top: many ? 32 : 10, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: "bar",
          data: s.values,
          barMaxWidth: 28,
          label: { show: true, position: horizontal ? "right" : "top", formatter: "{c}" + unit, color: "#1b1f24" },
        };
      }),
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function dropZone(zone) {
    var input = zone.querySelector('input[type="file"]');
    var label = zone.querySelector("[data-dropzone-file]");
    if (!input) {
      return;
    }
    function show() {
      if (label) {
        label.textContent = input.files && input.files.length ? input.files[0].name : "";
      }
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("is-over");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
  }

  if (window.echarts) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), drawChart);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-dropzone]"), dropZone);
})();

"""Credit reports (信用报告): the 公共信用信息报告 and the 专项信用报告 as signed PDFs anyone can verify."""

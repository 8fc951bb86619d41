# Dates typed into a form: ISO first, because Django renders a date input's value with the first
# input format, and an <input type="date"> accepts only YYYY-MM-DD (Django's zh_Hans default,
# 2026/11/30, left the Chinese date fields empty). The other formats people type are still read.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                          "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
                          "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日"]

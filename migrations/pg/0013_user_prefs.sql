-- 0013: a user's own preferences (issue 5): the UI language, remembered per user.
ALTER TABLE users ADD COLUMN locale TEXT; -- 'en' or 'zh-CN'; NULL = follow the browser

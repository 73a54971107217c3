-- The default request categories (issue 11), seeded once when a database reaches
-- version 3, fresh or upgraded (db.rs). Thresholds in days: level 1 (orange) and the
-- deadline (red). Staff change them later through the API; this list is not re-applied.
INSERT OR IGNORE INTO request_categories (item, class, level1_days, deadline_days) VALUES
    ('职业介绍', '就业', 5, 8),
    ('政策咨询', '', 3, 5), ('政策咨询', '低保', 3, 5), ('政策咨询', '社保', 3, 5),
    ('家政服务', '', 3, 5), ('家政服务', '保洁', 3, 5), ('家政服务', '保姆', 5, 8),
    ('设施维修', '', 3, 5), ('设施维修', '下水道', 2, 3), ('设施维修', '供暖', 2, 3),
    ('设施维修', '路灯', 3, 5),
    ('环境卫生', '', 3, 5), ('环境卫生', '垃圾清运', 2, 3),
    ('治安', '', 2, 3), ('治安', '门窗', 2, 3),
    ('养老服务', '', 5, 8), ('养老服务', '助餐', 5, 8),
    ('社会救助', '', 5, 8),
    ('医疗服务', '送药上门', 2, 3),
    ('便民服务', '代缴费', 3, 5),
    ('邻里纠纷', '', 5, 8), ('邻里纠纷', '噪音', 5, 8),
    ('投诉', '', 3, 5), ('投诉', '违章停车', 3, 5),
    ('建议', '', 10, 15),
    ('其他', '', 5, 8);

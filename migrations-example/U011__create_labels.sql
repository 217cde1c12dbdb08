-- Dropping the tables drops their policies and indexes with them.
DROP TABLE task_labels;
DROP TABLE labels;

"""A transparency-log witness (C2SP tlog-witness): cosigns a log's checkpoints only when
each is consistent with every one it cosigned before. It runs as its own process, with its
own key and its own SQLite file, on the machine of the body that vouches (审计局, 纪委监委)."""

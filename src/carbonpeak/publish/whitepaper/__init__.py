"""The annual white paper (年度碳排放状况白皮书): content, programme sections, document."""

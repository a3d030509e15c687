-- Reserved for issue 9 (the verifiable journal), developed on another
-- branch: migration versions must be contiguous, and 0010 needs a 0009.
-- When the two branches merge, this file is deleted in favour of issue 9's
-- 0009; databases migrated from this branch alone are development ones.
SELECT 1;

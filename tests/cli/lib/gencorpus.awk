# gencorpus.awk — a deterministic synthetic corpus for the lifecycle tests:
# FILES .tsv files of ROWS sentences each in DIR (awk -v dir=D -v files=F
# -v rows=R -v seed=S -f gencorpus.awk).  Words come from a fixed list with
# a skewed choice, so common and rare words both exist.
BEGIN {
    n = split("care support people carers assessment staff learning safeguarding " \
              "hoarding reablement advocacy complaints feedback partnership training " \
              "housing equipment review waiting lists direct payments community " \
              "services team council local authority quality improvement data " \
              "mental health practice outcomes risk transitions governance voice", w, " ")
    srand(seed + 0)
    for (f = 0; f < files; f++) {
        path = sprintf("%s/council-%03d.tsv", dir, f)
        printf "council\tstatement\tscore\tpublished\tupdated\ttext\n" > path
        for (r = 0; r < rows; r++) {
            len = 8 + int(rand() * 20)
            s = ""
            for (i = 0; i < len; i++) {
                x = rand(); k = int(x * x * n) + 1
                s = s (i ? " " : "") w[k]
            }
            printf "Council %03d\t%d\t%d\t2024-0%d-1%d\t\t%s %s.\n", f, (r % 9) + 1, (r % 4) + 1,
                   (f % 9) + 1, r % 10, toupper(substr(s, 1, 1)) substr(s, 2), "marker" f > path
        }
        close(path)
    }
}

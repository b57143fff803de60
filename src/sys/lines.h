/* lines.h — text read line by line (from a file, stdin, or an input
 * already read whole: sys/input.h), with line numbers for messages. */
#ifndef NMT_SYS_LINES_H
#define NMT_SYS_LINES_H

#include <stdio.h>

/* Read a text file line by line, with the line number for error messages.
 * Accepts LF and CRLF endings, a final line without newline, lines of any
 * length, and drops a UTF-8 byte-order mark at the start of the file. A NUL
 * byte in a line stops the program with "FILE:LINE: NUL byte at byte K":
 * lines are C strings everywhere after this, so a NUL would silently cut
 * the text short. */
typedef struct {
    FILE *f;
    const char *path; /* as given, for messages */
    char *line;       /* current line, NUL-terminated, without the line end */
    size_t len;       /* bytes in line */
    size_t cap;
    long lineno;      /* 1-based number of the current line */
    int owns_file;
    const char *mem;  /* reading from memory (linereader_open_mem) when not NULL */
    size_t mem_len, mem_pos;
} LineReader;
/* path "-" reads stdin. An input already read whole (sys/input.h) is read
 * from that copy. Returns 0, or -1 with errno set when it cannot open. */
int linereader_open(LineReader *r, const char *path);
/* Lines of data[0..len), which must outlive the reader; name is for messages. */
void linereader_open_mem(LineReader *r, const char *name, const char *data, size_t len);
/* 1 when a line was read, 0 at end of file; dies on a read error or a NUL byte. */
int linereader_next(LineReader *r);
void linereader_close(LineReader *r);
/* 1 when the lines come from a terminal (read one at a time, as typed). */
int linereader_is_tty(const LineReader *r);

/* Count the lines of a file as linereader_next would see them (dies if
 * unreadable). The file is read whole once (sys/input.h), so the lines can
 * then be read from a pipe as well. */
long count_lines(const char *path);

#endif

/*
 * udpsink: a DNS server that never answers. Brings the loopback
 * interface up (it starts down in a new network namespace), binds UDP
 * 127.0.0.1:PORT, takes every datagram and sends nothing back, so a
 * resolver asking it waits for its own timeout. Exits after SECONDS.
 *
 *   udpsink PORT SECONDS
 *
 * Prints "ready" once bound. Exit status: 0 after SECONDS, 1 when the
 * interface or the port cannot be set up, 2 usage.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int udpsink_lo_up(int fd)
{
    struct ifreq r;

    memset(&r, 0, sizeof(r));
    strcpy(r.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &r) < 0)
        return -1;
    if (r.ifr_flags & IFF_UP)
        return 0;
    r.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &r);
}

static int udpsink_bind(int port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || udpsink_lo_up(fd) < 0) {
        perror("udpsink: loopback up");
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("udpsink: bind");
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    char buf[2048];
    time_t end;
    int fd;

    if (argc != 3) {
        fprintf(stderr, "usage: udpsink PORT SECONDS\n");
        return 2;
    }
    fd = udpsink_bind(atoi(argv[1]));
    if (fd < 0)
        return 1;
    printf("ready\n");
    fflush(stdout);

    end = time(NULL) + atoi(argv[2]);
    while (time(NULL) < end) {
        struct pollfd p = {fd, POLLIN, 0};

        if (poll(&p, 1, 200) > 0 && recv(fd, buf, sizeof(buf), 0) < 0)
            break;
    }
    close(fd);
    return 0;
}

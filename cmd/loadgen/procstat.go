package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ServerStats is what the server process used during the window (Linux
// /proc).
type ServerStats struct {
	PID       int     `json:"pid"`
	Samples   int     `json:"samples"`
	RSSMaxMB  float64 `json:"rss_max_mb"`
	RSSMeanMB float64 `json:"rss_mean_mb"`
	// HWMMB is VmHWM: the peak RSS since the server started (the setup's
	// sign-ins hash passwords with argon2id, 19 MiB each, two at a time).
	HWMMB    float64 `json:"vmhwm_mb"`
	CPUCores float64 `json:"cpu_cores"`
	// RSSOverTime is the mean RSS of each successive slice of the window
	// (-rss-every), to tell a flat memory from a leak over a long run.
	RSSOverTime []RSSPoint `json:"rss_over_time,omitempty"`
}

// RSSPoint is the server's mean RSS over one slice of the window, ending
// AtSeconds after the window's start.
type RSSPoint struct {
	AtSeconds float64 `json:"at_s"`
	RSSMB     float64 `json:"rss_mb"`
}

// RSSGrowthMB is the mean RSS of the last slice minus that of the first
// (0 with fewer than two slices).
func (s *ServerStats) RSSGrowthMB() float64 {
	if s == nil || len(s.RSSOverTime) < 2 {
		return 0
	}
	return s.RSSOverTime[len(s.RSSOverTime)-1].RSSMB - s.RSSOverTime[0].RSSMB
}

// RSSFlat says whether the RSS stayed flat: the last slice's mean within
// 10 % (and at least 5 MB) of the first's. A leak grows with the number
// of requests served, so over a soak it shows as a steady climb; the Go
// heap's breathing and the pool's warm-up stay within that margin.
func (s *ServerStats) RSSFlat() bool {
	if s == nil || len(s.RSSOverTime) < 2 {
		return true
	}
	return s.RSSGrowthMB() <= max(5, 0.1*s.RSSOverTime[0].RSSMB)
}

// MachineStats says how busy the machine was during the window, and who
// used it: the server, PostgreSQL's processes, this generator, the rest.
type MachineStats struct {
	CPUs          int     `json:"cpus"`
	BusyPercent   float64 `json:"busy_percent"`
	BusyCores     float64 `json:"busy_cores"`
	ServerCores   float64 `json:"server_cores"`
	PostgresCores float64 `json:"postgres_cores"`
	LoadgenCores  float64 `json:"loadgen_cores"`
	// OtherCores is the busy time no process above accounts for:
	// IRQCores (interrupts, softirqs: loopback networking), StealCores
	// (taken by the hypervisor) and the other processes, of which
	// TopOthers names the busiest.
	OtherCores float64  `json:"other_cores"`
	IRQCores   float64  `json:"irq_cores"`
	StealCores float64  `json:"steal_cores"`
	TopOthers  []string `json:"top_others,omitempty"`
	LoadAvg    string   `json:"loadavg"`
}

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on Linux).
const clockTicks = 100

type sampler struct {
	stopc chan struct{}
	done  chan struct{}
	srv   *ServerStats
	mach  *MachineStats
}

type cpuSnapshot struct {
	at                      time.Time
	total, busy, irq, steal uint64
	server, loadgen         uint64
	postgres                map[int]uint64
	others                  map[int]procTicks
}

type procTicks struct {
	comm  string
	ticks uint64
}

func snapshot(pid int) cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), postgres: map[int]uint64{}, others: map[int]procTicks{}}
	s.total, s.busy, s.irq, s.steal = machineTicks()
	if pid > 0 {
		s.server = processTicks(pid)
	}
	s.loadgen = processTicks(os.Getpid())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil {
			continue
		}
		p, _ := strconv.Atoi(filepath.Base(d))
		switch {
		case bytes.HasPrefix(comm, []byte("postgres")):
			s.postgres[p] = processTicks(p)
		case p != pid && p != os.Getpid():
			s.others[p] = procTicks{strings.TrimSpace(string(comm)), processTicks(p)}
		}
	}
	return s
}

// startSampler measures from from to to: CPU at both ends, the server's
// RSS every 200 ms, averaged over each slice of length every (none when
// every is 0).
func startSampler(pid int, from, to time.Time, every time.Duration) *sampler {
	s := &sampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		select {
		case <-time.After(time.Until(from)):
		case <-s.stopc:
			return
		}
		begin := snapshot(pid)
		var srv *ServerStats
		if pid > 0 {
			srv = &ServerStats{PID: pid}
		}
		var rssSum, sliceSum float64
		var sliceN int
		sliceEnd := begin.at.Add(every)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for stop := false; !stop; {
			if srv != nil {
				if rss, hwm, ok := memory(pid); ok {
					srv.Samples++
					rssSum += rss
					srv.RSSMaxMB, srv.HWMMB = max(srv.RSSMaxMB, rss), hwm
					sliceSum += rss
					sliceN++
				}
				if now := time.Now(); every > 0 && sliceN > 0 && !now.Before(sliceEnd) {
					srv.RSSOverTime = append(srv.RSSOverTime, RSSPoint{AtSeconds: now.Sub(begin.at).Round(time.Second).Seconds(), RSSMB: sliceSum / float64(sliceN)})
					sliceSum, sliceN, sliceEnd = 0, 0, sliceEnd.Add(every)
				}
			}
			select {
			case <-tick.C:
				stop = !time.Now().Before(to)
			case <-s.stopc:
				stop = true
			}
		}
		if srv != nil && every > 0 && sliceN > 0 {
			srv.RSSOverTime = append(srv.RSSOverTime, RSSPoint{AtSeconds: time.Since(begin.at).Round(time.Second).Seconds(), RSSMB: sliceSum / float64(sliceN)})
		}
		end := snapshot(pid)
		secs := end.at.Sub(begin.at).Seconds()
		cores := func(ticks uint64) float64 { return float64(ticks) / clockTicks / secs }
		m := &MachineStats{CPUs: countCPUs(), BusyCores: cores(end.busy - begin.busy),
			ServerCores: cores(end.server - begin.server), LoadgenCores: cores(end.loadgen - begin.loadgen)}
		if end.total > begin.total {
			m.BusyPercent = 100 * float64(end.busy-begin.busy) / float64(end.total-begin.total)
		}
		var pg uint64
		for p, t := range end.postgres {
			pg += t - min(t, begin.postgres[p])
		}
		m.PostgresCores = cores(pg)
		m.OtherCores = max(0, m.BusyCores-m.ServerCores-m.PostgresCores-m.LoadgenCores)
		m.IRQCores, m.StealCores = cores(end.irq-begin.irq), cores(end.steal-begin.steal)
		m.TopOthers = topOthers(begin, end, cores)
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
		}
		if srv != nil && srv.Samples > 0 {
			srv.RSSMeanMB = rssSum / float64(srv.Samples)
			srv.CPUCores = m.ServerCores
		} else {
			srv = nil
		}
		s.srv, s.mach = srv, m
	}()
	return s
}

// stop ends the sampling (if the window is not over yet) and returns it.
func (s *sampler) stop() (*ServerStats, *MachineStats) {
	select {
	case <-s.done:
	default:
		close(s.stopc)
		<-s.done
	}
	return s.srv, s.mach
}

// memory reads VmRSS and VmHWM of pid, in MB.
func memory(pid int) (rss, hwm float64, ok bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss, ok = kb/1024, true
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm, ok
}

// processTicks is the user+system CPU time of pid, in clock ticks.
func processTicks(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return u + s
}

// machineTicks returns the CPU time of the machine (/proc/stat): all,
// busy, interrupts and softirqs, stolen by the hypervisor.
func machineTicks() (total, busy, irq, steal uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	// cpu user nice system idle iowait irq softirq steal
	for i := 1; i < len(f) && i <= 8; i++ {
		v, _ := strconv.ParseUint(f[i], 10, 64)
		total += v
		switch i {
		case 4, 5: // idle, iowait
			continue
		case 6, 7:
			irq += v
		case 8:
			steal += v
		}
		busy += v
	}
	return total, busy, irq, steal
}

// topOthers names the three other processes that used the most CPU.
func topOthers(begin, end cpuSnapshot, cores func(uint64) float64) []string {
	type use struct {
		name  string
		ticks uint64
	}
	byName := map[string]uint64{}
	for p, e := range end.others {
		byName[e.comm] += e.ticks - min(e.ticks, begin.others[p].ticks)
	}
	var all []use
	for n, t := range byName {
		if t > 0 {
			all = append(all, use{n, t})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ticks > all[j].ticks })
	var out []string
	for i := 0; i < len(all) && i < 3; i++ {
		out = append(out, fmt.Sprintf("%s %.2f", all[i].name, cores(all[i].ticks)))
	}
	return out
}

func countCPUs() int {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "cpu") && len(l) > 3 && l[3] >= '0' && l[3] <= '9' {
			n++
		}
	}
	return n
}

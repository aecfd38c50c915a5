//! The kubelet's part: container wake-ups, OOM kills, back-off, restarts and readiness.

use super::{ContainerRef, Event, Note, World, container_in};
use crate::engine::SimTime;
use crate::model::backoff::go_duration;
use crate::model::container::{ContainerState, Termination};
use crate::model::record::{EventKind, Recorder};
use crate::model::units::Bytes;

impl<R: Recorder> World<'_, R> {
    /// Starts container `c` at `now` and arms its readiness and wake-up. Pods of the
    /// initial state start warm: already running and ready, as in a cluster that was
    /// serving before the scenario began.
    pub(super) fn start_container(&mut self, now: SimTime, c: ContainerRef) {
        let rps = self.pod(c.pod).map_or(0.0, |p| p.rps);
        let (warm, knob) = (self.warm_start, self.mesh_knob);
        let fluid = self.cfg.fidelity == crate::model::Fidelity::Fluid;
        let Some(container) = container_in(&mut self.pods, c) else {
            return;
        };
        let xds = container.spec.memory.xds_server;
        container.start(now, warm);
        if let Some(knob) = knob {
            container.reconfigure(knob);
        }
        container.set_rps(rps, fluid);
        if warm.is_none() {
            let ready_at = now + container.spec.readiness_delay;
            container.timer = Some(self.queue.schedule(ready_at, Event::Ready(c)));
        }
        if xds && self.is_istiod(c.pod) {
            self.istiod_started(now, c.pod, warm.is_some());
        }
        self.rewake(now, c);
    }

    /// Re-predicts container `c`'s next wake-up and moves its event if it changed.
    pub(super) fn rewake(&mut self, now: SimTime, c: ContainerRef) {
        let Some(pod) = self.pods[c.pod.slot as usize].as_mut() else {
            return;
        };
        let container = &mut pod.containers[usize::from(c.idx)];
        let at = container.next_wake().max(now);
        if at == container.wake_at && container.wake.is_some() {
            self.pressure_changed(now, c.pod);
            return;
        }
        container.wake_at = at;
        if at == SimTime::NEVER {
            if let Some(k) = container.wake.take() {
                self.queue.cancel(k);
            }
        } else {
            self.queue
                .reschedule(&mut container.wake, at, Event::Wake(c));
        }
        self.pressure_changed(now, c.pod);
    }

    pub(super) fn on_wake(&mut self, now: SimTime, c: ContainerRef) {
        let Some(container) = container_in(&mut self.pods, c) else {
            return;
        };
        container.wake = None;
        container.wake_at = SimTime::NEVER;
        container.advance(now);
        container.note_peak();
        if !self.check_limits(now, c) {
            if let Some(container) = container_in(&mut self.pods, c) {
                container.apply_due_changes(now);
            }
            self.rewake(now, c);
        }
    }

    /// Kills container `c` if it is at its limit (OOM kill) or, for a JVM, its heap is
    /// exhausted (`OutOfMemoryError`); `true` if it died.
    fn check_limits(&mut self, now: SimTime, c: ContainerRef) -> bool {
        let Some(container) = container_in(&mut self.pods, c) else {
            return false;
        };
        if container.at_limit() {
            let name = container.name().to_string();
            let mut message = format!(
                "memory {} reached limit {}",
                Bytes(container.usage() as u64),
                Bytes(container.limit() as u64)
            );
            if let Some((law, bytes)) = container.largest_law() {
                message += &format!("; largest component {law} {}", Bytes(bytes as u64));
            }
            self.crash(now, c, Termination::OomKilled, "container", &name, &message);
            true
        } else if container.heap_exhausted() {
            let message = "java.lang.OutOfMemoryError: Java heap space".to_string();
            self.crash(now, c, Termination::OutOfMemoryError, "", "", &message);
            true
        } else {
            false
        }
    }

    /// After a request (per-request fidelity): kill at once if over a limit, or bring
    /// the wake-up forward if the request moved it.
    pub(super) fn after_jump(&mut self, now: SimTime, c: ContainerRef) {
        if let Some(container) = container_in(&mut self.pods, c) {
            container.note_peak();
        }
        if self.check_limits(now, c) {
            return;
        }
        let moved = container_in(&mut self.pods, c).is_some_and(|k| k.next_wake() < k.wake_at);
        if moved {
            self.rewake(now, c);
        } else {
            self.pressure_changed(now, c.pod);
        }
    }

    /// Container `c` dies at `now`: OOM-killed (in `cgroup`, while `grew` was growing)
    /// or crashed. Memory is freed, in-flight requests fail, the pod leaves the
    /// endpoints, and the kubelet's back-off decides when it starts again.
    pub(super) fn crash(
        &mut self,
        now: SimTime,
        c: ContainerRef,
        why: Termination,
        cgroup: &str,
        grew: &str,
        message: &str,
    ) {
        self.reset_in_flight(c.pod);
        if self.is_istiod(c.pod) {
            self.istiod_stopped(now, c.pod);
        }
        if why == Termination::OomKilled
            && let Some(p) = self.pod(c.pod)
        {
            let k = &p.containers[usize::from(c.idx)];
            let used = k.usage().max(k.spec.resources.memory_request().as_f64());
            let (w, name) = (p.workload, k.name().to_string());
            self.vpa_oom(now, w, &name, used);
        }
        let after = now >= self.cfg.evaluate_after;
        let Some(container) = container_in(&mut self.pods, c) else {
            return;
        };
        container.terminate(now, why);
        match (why, cgroup) {
            (Termination::OomKilled, _) => {
                container.stats.oom_kills += 1;
                container.stats.oom_kills_after += u32::from(after);
                container.stats.first_oom.get_or_insert(now);
                container.stats.oom_kills_outside += u32::from(cgroup != "container");
            }
            (Termination::OutOfMemoryError, _) => container.stats.heap_crashes += 1,
        }
        let wait = container.backoff.wait_after(now);
        let name = container.name().to_string();
        for k in [container.wake.take(), container.timer.take()]
            .into_iter()
            .flatten()
        {
            self.queue.cancel(k);
        }
        container.wake_at = SimTime::NEVER;
        let kind = match why {
            Termination::OomKilled => EventKind::OomKilled,
            Termination::OutOfMemoryError => EventKind::Crashed,
        };
        let note = Note::new(kind, why.reason(), message)
            .exit(why.exit_code())
            .oom(cgroup, grew);
        self.emit(now, Some(c.pod), Some(c.idx), note);
        self.update_pod_readiness(now, c.pod);
        self.pressure_changed(now, c.pod);
        if wait.is_zero() {
            self.restart(now, c);
        } else {
            let pod = self.pod(c.pod).map_or("", |p| p.name()).to_string();
            let message = format!(
                "back-off {} restarting failed container={name} pod={pod}",
                go_duration(wait)
            );
            self.emit(
                now,
                Some(c.pod),
                Some(c.idx),
                Note::new(EventKind::BackOff, "CrashLoopBackOff", &message),
            );
            let key = self.queue.schedule(now + wait, Event::Restart(c));
            if let Some(container) = container_in(&mut self.pods, c) {
                container.timer = Some(key);
                container.restart_at = Some(now + wait);
            }
        }
    }

    pub(super) fn on_restart(&mut self, now: SimTime, c: ContainerRef) {
        if let Some(container) = container_in(&mut self.pods, c) {
            container.timer = None;
            self.restart(now, c);
        }
    }

    /// The kubelet starts a crashed container again (`Next` on its back-off entry).
    fn restart(&mut self, now: SimTime, c: ContainerRef) {
        let Some(container) = container_in(&mut self.pods, c) else {
            return;
        };
        let ContainerState::Terminated { finished, .. } = container.state else {
            return;
        };
        container.backoff.record_restart(finished, now);
        container.restart_at = None;
        container.restart_count += 1;
        let message = format!(
            "restarted container {} (restart {}) after {}",
            container.name(),
            container.restart_count,
            go_duration(now - finished)
        );
        self.emit(
            now,
            Some(c.pod),
            Some(c.idx),
            Note::new(EventKind::Restarted, "Started", &message),
        );
        self.start_container(now, c);
    }

    pub(super) fn on_container_ready(&mut self, now: SimTime, c: ContainerRef) {
        let Some(container) = container_in(&mut self.pods, c) else {
            return;
        };
        container.timer = None;
        if let ContainerState::Running { ready, .. } = &mut container.state {
            *ready = true;
        }
        self.update_pod_readiness(now, c.pod);
    }
}

#include "behavtrack/synth/colony.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "behavtrack/core/error.h"
#include "behavtrack/core/types.h"

namespace bt::synth {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr double kForever = std::numeric_limits<double>::infinity();
constexpr int kTailSegments = 12;
constexpr double kWallMarginCm = 0.3;

// How often each behaviour is chosen when a bout ends (relative weights), and how long a
// bout lasts (seconds, uniform). Social behaviours are weighted up because they need a
// free partner and an approach first; with 4-5 mice every behaviour shows up within a
// minute or two.
struct BoutSpec {
  double weight, min_s, max_s;
};
constexpr std::array<BoutSpec, kBehaviorCount> kBouts = {{
    {0.10, 3.0, 8.0},   // resting
    {0.13, 1.0, 3.5},   // rearing
    {0.12, 0.8, 2.2},   // running
    {0.12, 2.0, 6.0},   // self_grooming
    {0.22, 2.0, 6.0},   // exploring
    {0.09, 1.2, 3.0},   // fighting
    {0.09, 2.0, 5.0},   // allogrooming
    {0.15, 1.2, 3.5},   // close_investigation
}};

// Exponential approach of `value` to `target` with the given rate (1/s).
void relax(double& value, double target, double rate, double dt) {
  value += (target - value) * (1 - std::exp(-rate * dt));
}

double clamp_abs(double x, double limit) { return std::clamp(x, -limit, limit); }

}  // namespace

const std::string& behavior_name(Behavior b) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = default_behaviors();
    if (static_cast<int>(n.size()) != kBehaviorCount || n[0] != "resting" ||
        n[7] != "close_investigation")
      throw_internal("synth: the default ethogram changed; update synth::Behavior");
    return n;
  }();
  return names[static_cast<std::size_t>(b)];
}

bool is_social(Behavior b) {
  return b == Behavior::kFighting || b == Behavior::kAllogrooming ||
         b == Behavior::kCloseInvestigation;
}

struct Colony::Agent {
  // Motion of the body centre.
  double speed = 0;          // cm/s along the heading (negative: stepping back)
  double speed_target = 0;
  double accel_rate = 6;     // 1/s
  double turn_rate = 0;      // rad/s
  Vec2 slide;                // cm/s sideways (small corrections next to a partner)
  double cruise_speed = 0;   // cm/s for this bout
  // Pose targets and their smoothed values; oscillations ride on top.
  double length_target = 1, width_target = 1, head_target = 1;
  double bend_base = 0, bend_target = 0, yaw_base = 0, yaw_target = 0;
  double osc_yaw = 0, osc_yaw_target = 0, osc_bend = 0, osc_bend_target = 0;
  double osc_hz = 0, osc_phase = 0;
  // The current bout.
  Behavior behavior = Behavior::kExploring;
  double bout_left_s = 0, bout_time_s = 0;
  double side = 1;           // which way the body curls or the flank groomed
  double phase = 0;          // random phase of slow sweeps
  double sub_left_s = 0;     // sub-phase timer (gait, grooming mode, fighting roll)
  bool sub_flag = false;     // walking/pausing, flank/face grooming, on top in a fight
  // Social state.
  int partner = -1;          // index of the partner while approaching or interacting
  Behavior pending = Behavior::kExploring;  // social behaviour to start on contact
  bool approaching = false;
  bool homing = false;       // close enough to a partner to home the nose onto it
  int held_by = -1;          // index of the mouse whose social bout holds this one
  int target_part = 0;       // close investigation: 0 head, 1 flank, 2 tail base
  double groom_s = 0.6;      // allogrooming: where on the partner's back
  // Fighting orbit (kept by the mouse that started the fight).
  Vec2 orbit_center;
  double orbit_angle = 0, orbit_rate = 0;
  BodyGeometry body;

  // Counts the sub-phase down by dt; when it has run out, switches sub_flag and returns
  // true, and the caller draws the new sub-phase's length.
  bool sub_phase_ended(double dt) {
    sub_left_s -= dt;
    if (sub_left_s > 0) return false;
    sub_flag = !sub_flag;
    return true;
  }
};

Colony::Colony(int n_mice, double width_cm, double height_cm, std::uint64_t seed)
    : width_cm_(width_cm), height_cm_(height_cm), rng_(seed, 1) {
  place_mice(n_mice);
}

Colony::~Colony() = default;

// ---- set-up -----------------------------------------------------------------------------

void Colony::place_mice(int n_mice) {
  agents_.resize(static_cast<std::size_t>(n_mice));
  states_.resize(static_cast<std::size_t>(n_mice));
  for (int i = 0; i < n_mice; ++i) {
    MouseState& m = states_[i];
    m.id = i + 1;
    // The first mouse is black like the DLC data; the others mix dark and light coats.
    const int coat = i == 0 ? 0 : rng_.weighted({0.45, 0.35, 0.20});
    m.coat = static_cast<Coat>(coat);
    m.pose.length_cm = 8.5 * rng_.uniform(0.92, 1.08);
    const double margin = 0.7 * m.pose.length_cm;
    // Rejection sampling for a start without overlaps (bounded: crowded arenas overlap).
    for (int attempt = 0; attempt < 200; ++attempt) {
      m.pose.center = {rng_.uniform(margin, width_cm_ - margin),
                       rng_.uniform(margin, height_cm_ - margin)};
      bool clear = true;
      for (int j = 0; j < i; ++j)
        clear = clear && (m.pose.center - states_[j].pose.center).norm() > 1.1 * margin;
      if (clear) break;
    }
    m.pose.heading = rng_.uniform(-kPi, kPi);
    Agent& a = agents_[i];
    a.body = body_geometry(m.pose);
    const Vec2 back = Vec2::from_angle(m.pose.heading) * -1.0;
    const double segment = 0.95 * m.pose.length_cm / kTailSegments;
    m.tail.assign(kTailSegments + 1, a.body.tail_base);
    for (int k = 1; k <= kTailSegments; ++k) m.tail[k] = m.tail[k - 1] + back * segment;
    start_bout(i, static_cast<Behavior>(rng_.index(5)));
    a.bout_left_s *= rng_.uniform();  // stagger the first transitions
    keep_in_arena(i);
    update_tail(i);
    publish(i);
  }
}

// ---- the state machine ------------------------------------------------------------------

void Colony::step(double dt) {
  time_s_ += dt;
  const int n = static_cast<int>(agents_.size());
  std::vector<Vec2> previous(agents_.size());
  for (int i = 0; i < n; ++i) previous[i] = states_[i].pose.center;
  for (int i = 0; i < n; ++i) {
    Agent& a = agents_[i];
    a.bout_left_s -= dt;
    a.bout_time_s += dt;
    if (a.approaching)
      update_approach(i);
    else if (a.held_by < 0 && a.bout_left_s <= 0)
      choose_next(i);
  }
  for (int i = 0; i < n; ++i) control(i, dt);
  for (int i = 0; i < n; ++i) integrate(i, dt);
  separate_idle_mice(dt);
  for (int i = 0; i < n; ++i) {
    keep_in_arena(i);
    update_tail(i);
  }
  for (int i = 0; i < n; ++i) {
    states_[i].velocity_cm_s = (states_[i].pose.center - previous[i]) * (1 / dt);
    publish(i);
  }
}

void Colony::choose_next(int i) {
  Agent& a = agents_[i];
  const Behavior previous = a.behavior;
  release_partner(i);
  std::vector<double> weights;
  for (const BoutSpec& b : kBouts) weights.push_back(b.weight);
  weights[static_cast<std::size_t>(previous)] *= 0.3;  // prefer a change of behaviour
  // Mice rear mostly against the walls.
  const Vec2 nose = a.body.nose;
  const double to_wall = std::min({nose.x, nose.y, width_cm_ - nose.x, height_cm_ - nose.y});
  weights[static_cast<std::size_t>(Behavior::kRearing)] *= to_wall < 4.0 ? 2.5 : 0.5;
  const auto next = static_cast<Behavior>(rng_.weighted(weights));
  if (is_social(next)) {
    const int partner = pick_partner(i);
    if (partner >= 0) {
      start_approach(i, partner, next);
      return;
    }
    start_bout(i, Behavior::kExploring);
    return;
  }
  start_bout(i, next);
}

void Colony::start_bout(int i, Behavior b) {
  Agent& a = agents_[i];
  a.behavior = b;
  const BoutSpec& spec = kBouts[static_cast<std::size_t>(b)];
  a.bout_left_s = rng_.uniform(spec.min_s, spec.max_s);
  a.bout_time_s = 0;
  a.side = rng_.sign();
  a.phase = rng_.uniform(0, 2 * kPi);
  a.sub_left_s = 0;
  a.sub_flag = false;
  a.approaching = false;
  a.homing = false;
  switch (b) {
    case Behavior::kRunning: a.cruise_speed = rng_.uniform(25, 40); break;
    case Behavior::kExploring: a.cruise_speed = rng_.uniform(4, 9); break;
    default: a.cruise_speed = 0; break;
  }
}

int Colony::pick_partner(int i) {
  const Vec2 here = states_[i].pose.center;
  std::vector<double> weights(agents_.size(), 0.0);
  double total = 0;
  for (std::size_t j = 0; j < agents_.size(); ++j) {
    const Agent& b = agents_[j];
    if (static_cast<int>(j) == i || b.approaching || b.held_by >= 0 || is_social(b.behavior))
      continue;
    bool targeted = false;
    for (const Agent& c : agents_) targeted = targeted || (c.partner == static_cast<int>(j));
    if (targeted) continue;
    // Nearby mice are likelier partners (length scale 20 cm).
    weights[j] = std::exp(-(states_[j].pose.center - here).norm() / 20.0);
    total += weights[j];
  }
  return total > 0 ? rng_.weighted(weights) : -1;
}

void Colony::start_approach(int i, int partner, Behavior b) {
  // The approach is a walk (exploring) or, before a fight, a chase (running).
  start_bout(i, b == Behavior::kFighting ? Behavior::kRunning : Behavior::kExploring);
  Agent& a = agents_[i];
  a.bout_left_s = kForever;
  a.approaching = true;
  a.partner = partner;
  a.pending = b;
  a.sub_left_s = 6.0;  // give up after this long
  a.cruise_speed = b == Behavior::kFighting ? 30 : 12;
  a.target_part = rng_.index(3);
  a.groom_s = rng_.uniform(0.45, 0.75);
}

void Colony::update_approach(int i) {
  Agent& a = agents_[i];
  const Agent& p = agents_[a.partner];
  const bool partner_free = p.held_by < 0 && !p.approaching && !is_social(p.behavior);
  if (!partner_free || a.sub_left_s <= 0) {
    a.partner = -1;
    start_bout(i, Behavior::kExploring);
    return;
  }
  const bool contact =
      a.pending == Behavior::kFighting
          ? (states_[i].pose.center - states_[a.partner].pose.center).norm() <
                0.8 * states_[i].pose.length_cm
          : (social_goal(i).nose_at - a.body.nose).norm() < 0.7;
  if (contact) begin_social(i);
}

void Colony::begin_social(int i) {
  Agent& a = agents_[i];
  const int j = a.partner;
  const Behavior b = a.pending;
  start_bout(i, b);
  a.partner = j;
  Agent& p = agents_[j];
  if (b == Behavior::kFighting) {
    start_bout(j, Behavior::kFighting);
    p.bout_left_s = kForever;
    p.partner = i;
    p.held_by = i;
    const Vec2 ci = states_[i].pose.center, cj = states_[j].pose.center;
    a.orbit_center = (ci + cj) * 0.5;
    a.orbit_angle = std::atan2(ci.y - cj.y, ci.x - cj.x);
    a.orbit_rate = rng_.sign() * rng_.uniform(5, 8);
  } else if (b == Behavior::kAllogrooming) {
    // The groomed mouse holds still for it.
    start_bout(j, Behavior::kResting);
    p.bout_left_s = kForever;
    p.held_by = i;
  }
}

void Colony::release_partner(int i) {
  Agent& a = agents_[i];
  if (a.partner < 0) return;
  Agent& p = agents_[a.partner];
  if (p.held_by == i) {
    p.held_by = -1;
    p.partner = -1;
    // After a fight the other mouse usually flees; a groomed one soon moves on.
    if (a.behavior == Behavior::kFighting)
      start_bout(a.partner, rng_.chance(0.7) ? Behavior::kRunning : Behavior::kExploring);
    else
      p.bout_left_s = rng_.uniform(0.2, 1.5);
  }
  a.partner = -1;
}

// Where the actor's nose goes on its partner, and from which side it comes: the actor's
// body lies off the partner in that direction, so only heads overlap (grooming the back
// from the side, sniffing nose to nose, flank to flank or behind the tail base).
Colony::SocialGoal Colony::social_goal(int i) const {
  const Agent& a = agents_[i];
  const BodyGeometry& pb = agents_[a.partner].body;
  const Behavior b = a.approaching ? a.pending : a.behavior;
  auto unit = [](Vec2 v) { return v * (1 / std::max(v.norm(), 1e-9)); };
  const Vec2 head_dir = pb.direction.back(), mid_dir = pb.direction[kSpinePoints / 2];
  if (b == Behavior::kFighting) return {states_[a.partner].pose.center, {}};
  if (b == Behavior::kAllogrooming)
    return {body_point(pb, a.groom_s, 0.3 * std::sin(a.phase)),
            unit(left_of(mid_dir) * (0.85 * a.side) - mid_dir * 0.5)};
  switch (a.target_part) {
    case 0:  // nose to nose, a little to one side
      return {body_point(pb, 0.93, a.side * 1.2), unit(head_dir * 0.8 + left_of(head_dir) * (0.6 * a.side))};
    case 1:  // the flank
      return {body_point(pb, 0.45, a.side * 1.15), left_of(mid_dir) * a.side};
    default:  // behind the tail base
      return {pb.tail_base - pb.direction.front() * 0.6, pb.direction.front() * -1.0};
  }
}

// ---- behaviour controllers --------------------------------------------------------------

void Colony::control(int i, double dt) {
  Agent& a = agents_[i];
  // A fight moves both mice from the side of the one that started it.
  if (a.behavior == Behavior::kFighting) {
    if (a.held_by < 0) control_fight(i, dt);
    return;
  }
  a.slide = {};
  a.osc_yaw_target = a.osc_bend_target = 0;
  a.head_target = 1;
  a.accel_rate = 6;
  const double wander = rng_.normal() * std::sqrt(dt);  // Brownian increment for turning
  if (a.approaching) return control_approach(i, dt);
  switch (a.behavior) {
    case Behavior::kResting: return control_resting(a);
    case Behavior::kRearing: return control_rearing(a);
    case Behavior::kRunning: return control_running(i, wander);
    case Behavior::kSelfGrooming: return control_self_grooming(a, dt);
    case Behavior::kExploring: return control_exploring(i, dt, wander);
    case Behavior::kFighting: return;
    case Behavior::kAllogrooming: return control_allogrooming(i, dt);
    case Behavior::kCloseInvestigation: return control_close_investigation(i, dt);
  }
}

// Walking up to the partner of the social bout to come.
void Colony::control_approach(int i, double dt) {
  Agent& a = agents_[i];
  a.sub_left_s -= dt;
  a.length_target = a.pending == Behavior::kFighting ? 1.06 : 1.0;
  a.width_target = a.pending == Behavior::kFighting ? 0.9 : 1.0;
  approach(i, social_goal(i), a.cruise_speed, a.pending == Behavior::kFighting ? 6 : 3.5);
  a.yaw_target = clamp_abs(0.15 * a.turn_rate, 0.4);
  a.bend_target = clamp_abs(0.2 * a.turn_rate, 0.5);
  a.osc_yaw_target = 0.06;
  a.osc_hz = 8;
  if (a.pending == Behavior::kFighting) a.accel_rate = 4;
  avoid_walls(i);
}

// Curled up and still, bent to one side.
void Colony::control_resting(Agent& a) {
  a.speed_target = 0;
  a.accel_rate = 10;
  a.turn_rate = 0;
  a.length_target = 0.76;
  a.width_target = 1.16;
  a.bend_target = a.side * 0.9;
  a.yaw_target = a.side * 0.55;
}

// Standing up: foreshortened from above, the head nearer the camera, swaying slowly.
void Colony::control_rearing(Agent& a) {
  const double t = a.bout_time_s;
  a.speed_target = 0;
  a.accel_rate = 10;
  a.turn_rate = 0.3 * std::sin(0.9 * t + a.phase);
  a.length_target = 0.58;
  a.width_target = 1.02;
  a.head_target = 1.18;
  a.bend_target = 0;
  a.yaw_target = 0.35 * std::sin(2 * kPi * 0.35 * t + a.phase);
}

void Colony::control_running(int i, double wander) {
  Agent& a = agents_[i];
  a.speed_target = a.cruise_speed;
  a.accel_rate = 4;
  a.turn_rate = clamp_abs(a.turn_rate + 4.0 * wander, 2.5);
  a.length_target = 1.08;
  a.width_target = 0.88;
  a.bend_target = clamp_abs(0.25 * a.turn_rate, 0.5);
  a.yaw_target = clamp_abs(0.08 * a.turn_rate, 0.2);
  avoid_walls(i);
}

// Alternates flank grooming (head bent round to one side) and face grooming.
void Colony::control_self_grooming(Agent& a, double dt) {
  a.speed_target = 0;
  a.accel_rate = 10;
  a.turn_rate = 0;
  if (a.sub_phase_ended(dt)) {
    a.sub_left_s = rng_.uniform(1.2, 2.8);
    if (a.sub_flag && rng_.chance(0.5)) a.side = -a.side;
  }
  a.width_target = 1.12;
  if (a.sub_flag) {
    a.length_target = 0.82;
    a.bend_target = a.side * 1.15;
    a.yaw_target = a.side * 0.95;
    a.osc_yaw_target = 0.22;
    a.osc_bend_target = 0.10;
    a.osc_hz = 4.5;
  } else {
    a.length_target = 0.74;
    a.bend_target = 0;
    a.yaw_target = 0;
    a.head_target = 1.06;
    a.osc_yaw_target = 0.14;
    a.osc_hz = 6;
  }
}

// Walk-and-pause gait with slow head sweeps and fast small sniffing.
void Colony::control_exploring(int i, double dt, double wander) {
  Agent& a = agents_[i];
  if (a.sub_phase_ended(dt)) a.sub_left_s = a.sub_flag ? rng_.uniform(0.6, 2.0) : rng_.uniform(0.3, 0.9);
  a.speed_target = a.sub_flag ? a.cruise_speed : 0;
  a.turn_rate = clamp_abs(a.turn_rate + 2.0 * wander, 1.2);
  a.length_target = 1.0;
  a.width_target = 1.0;
  a.yaw_target = 0.5 * std::sin(2 * kPi * 0.6 * a.bout_time_s + a.phase);
  a.bend_target = clamp_abs(0.3 * a.turn_rate + 0.3 * a.yaw_target, 0.5);
  a.osc_yaw_target = 0.05;
  a.osc_hz = 8;
  avoid_walls(i);
}

void Colony::control_allogrooming(int i, double dt) {
  Agent& a = agents_[i];
  a.groom_s = std::clamp(a.groom_s + 0.08 * rng_.normal() * std::sqrt(dt), 0.4, 0.8);
  a.phase += 0.8 * dt;
  approach(i, social_goal(i), 4, 3);
  a.length_target = 0.86;
  a.width_target = 1.05;
  a.bend_target = clamp_abs(0.2 * a.turn_rate, 0.4);
  a.yaw_target = 0;
  a.osc_yaw_target = 0.15;
  a.osc_hz = 3;
}

void Colony::control_close_investigation(int i, double dt) {
  Agent& a = agents_[i];
  const SocialGoal goal = social_goal(i);
  approach(i, goal, 20, 5);
  // A partner that walks off ends the investigation after a short follow.
  a.sub_left_s = (goal.nose_at - a.body.nose).norm() > 2.0 ? a.sub_left_s + dt : 0;
  if (a.sub_left_s > 0.3) a.bout_left_s = 0;
  a.length_target = 1.02;
  a.width_target = 0.95;
  a.bend_target = clamp_abs(0.25 * a.turn_rate, 0.5);
  a.yaw_target = clamp_abs(0.2 * a.turn_rate, 0.4);
  a.osc_yaw_target = 0.09;
  a.osc_hz = 8;
}

// Two phases: walk to a waypoint a little off the goal on the `from` side, so that the
// body ends up beside the partner rather than on it; then home the nose onto the goal,
// stepping forward or back along the body axis and shuffling sideways a little.
void Colony::approach(int i, const SocialGoal& goal, double max_speed, double max_turn) {
  Agent& a = agents_[i];
  const MousePose& p = states_[i].pose;
  const Vec2 dir = Vec2::from_angle(p.heading);
  const double reach = (a.body.nose - p.center).norm();
  const Vec2 waypoint = goal.nose_at + goal.from * (reach + 2.0);
  if ((waypoint - p.center).norm() < 2.5 || (goal.nose_at - a.body.nose).norm() < 2.5)
    a.homing = true;
  const Vec2 look = a.homing ? goal.nose_at - p.center : waypoint - p.center;
  const double turn = wrap_angle(std::atan2(look.y, look.x) - p.heading);
  a.turn_rate = clamp_abs(4.0 * turn, max_turn);
  a.accel_rate = 8;
  if (!a.homing) {
    a.speed_target = std::min(max_speed, 3.0 * look.norm() * std::max(0.2, std::cos(turn)));
    return;
  }
  const Vec2 error = goal.nose_at - a.body.nose;
  a.speed_target = std::clamp(4.0 * dot(error, dir), -3.0, max_speed);
  const Vec2 side = left_of(dir);
  a.slide = side * clamp_abs(3.0 * dot(error, side), 5.0);
}

// A fight: both mice circle their common centre fast, side by side head to tail, rolling
// over each other; the one that started it moves both.
void Colony::control_fight(int i, double dt) {
  Agent& a = agents_[i];
  Agent& b = agents_[a.partner];
  MouseState& ma = states_[i];
  MouseState& mb = states_[a.partner];
  const double t = a.bout_time_s;
  if (rng_.chance(0.8 * dt)) a.orbit_rate = -a.orbit_rate;  // reversals
  a.orbit_angle += a.orbit_rate * dt;
  a.orbit_center += Vec2{rng_.normal(), rng_.normal()} * (6.0 * std::sqrt(dt));
  // Side by side and touching: the centres are about one body width apart.
  const double r = 0.2 * ma.pose.length_cm * (1 + 0.15 * std::sin(9 * t));
  const Vec2 u = Vec2::from_angle(a.orbit_angle);
  const double tangent = a.orbit_rate > 0 ? kPi / 2 : -kPi / 2;
  const double blend = 1 - std::exp(-15 * dt);
  const double jitter = 0.25 * std::sin(11 * t + a.phase);
  const struct {
    MouseState* m;
    Agent* agent;
    Vec2 at;
    double heading;
  } places[2] = {{&ma, &a, a.orbit_center + u * r, a.orbit_angle + tangent + jitter},
                 {&mb, &b, a.orbit_center - u * r, a.orbit_angle + kPi + tangent - jitter}};
  for (const auto& place : places) {
    place.m->pose.center += (place.at - place.m->pose.center) * blend;
    place.m->pose.heading += wrap_angle(place.heading - place.m->pose.heading) * blend;
    Agent& ag = *place.agent;
    ag.speed = ag.speed_target = 0;
    ag.turn_rate = 0;
    ag.length_target = 0.95;
    ag.width_target = 1.05;
    ag.bend_target = (a.orbit_rate > 0 ? 1 : -1) * 0.7;  // curled round the centre
    ag.yaw_target = 0;
    ag.osc_yaw_target = 0.3;
    ag.osc_bend_target = 0.15;
    ag.osc_hz = 7;
  }
  // Who is on top changes as they roll.
  if (a.sub_phase_ended(dt)) a.sub_left_s = rng_.uniform(0.25, 0.6);
  b.sub_flag = !a.sub_flag;
}

// Turns away from a wall ahead: the look-ahead point grows with speed.
void Colony::avoid_walls(int i) {
  Agent& a = agents_[i];
  const MousePose& p = states_[i].pose;
  const Vec2 dir = Vec2::from_angle(p.heading);
  const Vec2 ahead = a.body.nose + dir * (1.0 + 0.35 * std::max(a.speed, 0.0));
  const double m = 1.0;
  if (ahead.x > m && ahead.x < width_cm_ - m && ahead.y > m && ahead.y < height_cm_ - m) return;
  const Vec2 to_centre = Vec2{width_cm_ / 2, height_cm_ / 2} - p.center;
  const double turn = wrap_angle(std::atan2(to_centre.y, to_centre.x) - p.heading);
  a.turn_rate = clamp_abs(5.0 * turn + (turn >= 0 ? 1.0 : -1.0), 6.0);
}

// ---- physics ----------------------------------------------------------------------------

void Colony::integrate(int i, double dt) {
  Agent& a = agents_[i];
  MousePose& p = states_[i].pose;
  relax(a.speed, a.speed_target, a.accel_rate, dt);
  p.heading = wrap_angle(p.heading + a.turn_rate * dt);
  p.center += Vec2::from_angle(p.heading) * (a.speed * dt) + a.slide * dt;

  // Shortening keeps the tail base in place (a mouse rears up or curls from the front).
  const double old_length = p.length_scale;
  relax(p.length_scale, a.length_target, 4, dt);
  p.center += Vec2::from_angle(p.heading) * (0.5 * p.length_cm * (p.length_scale - old_length));
  relax(p.width_scale, a.width_target, 4, dt);
  relax(p.head_scale, a.head_target, 4, dt);
  relax(a.bend_base, a.bend_target, 6, dt);
  relax(a.yaw_base, a.yaw_target, 8, dt);
  relax(a.osc_yaw, a.osc_yaw_target, 5, dt);
  relax(a.osc_bend, a.osc_bend_target, 5, dt);
  a.osc_phase = std::fmod(a.osc_phase + 2 * kPi * a.osc_hz * dt, 2 * kPi);
  p.head_yaw = a.yaw_base + a.osc_yaw * std::sin(a.osc_phase);
  p.bend = a.bend_base + a.osc_bend * std::sin(a.osc_phase + 0.7);
  a.body = body_geometry(p);
}

// Mice that are not interacting and not moving fast drift apart when their bodies pile
// up; moving mice walk over each other (crossings).
void Colony::separate_idle_mice(double dt) {
  const std::size_t n = agents_.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      Agent& a = agents_[i];
      Agent& b = agents_[j];
      if (a.partner == static_cast<int>(j) || b.partner == static_cast<int>(i)) continue;
      MousePose& pa = states_[i].pose;
      MousePose& pb = states_[j].pose;
      const Vec2 d = pa.center - pb.center;
      const double dist = std::max(d.norm(), 1e-6);
      const double wanted = 0.45 * (pa.length_cm + pb.length_cm) / 2;
      if (dist >= wanted) continue;
      const Vec2 push = d * ((wanted - dist) / dist * std::min(1.0, 1.5 * dt) / 2);
      auto movable = [](const Agent& m) {
        return std::abs(m.speed) < 12 && m.held_by < 0 && m.behavior != Behavior::kFighting;
      };
      if (movable(a)) pa.center += push;
      if (movable(b)) pb.center -= push;
    }
  }
}

// Every body point stays inside the walls.
void Colony::keep_in_arena(int i) {
  Agent& a = agents_[i];
  MousePose& p = states_[i].pose;
  for (int pass = 0; pass < 2; ++pass) {
    a.body = body_geometry(p);
    double min_x = 1e9, max_x = -1e9, min_y = 1e9, max_y = -1e9;
    auto extend = [&](Vec2 v, double r) {
      min_x = std::min(min_x, v.x - r);
      max_x = std::max(max_x, v.x + r);
      min_y = std::min(min_y, v.y - r);
      max_y = std::max(max_y, v.y + r);
    };
    for (int k = 0; k < kSpinePoints; ++k) extend(a.body.spine[k], a.body.half_width[k]);
    extend(a.body.ear_left.center, a.body.ear_left.radius_across);
    extend(a.body.ear_right.center, a.body.ear_right.radius_across);
    extend(a.body.tail_base, a.body.rump.radius_along);
    extend(a.body.nose, a.body.snout.radius_along);
    const double m = kWallMarginCm;
    const Vec2 shift{std::max(0.0, m - min_x) - std::max(0.0, max_x - (width_cm_ - m)),
                     std::max(0.0, m - min_y) - std::max(0.0, max_y - (height_cm_ - m))};
    if (shift.x == 0 && shift.y == 0) return;
    p.center += shift;
    if (a.behavior == Behavior::kFighting && a.held_by < 0) a.orbit_center += shift;
  }
  a.body = body_geometry(p);
}

// The tail is a rope dragged by the tail base (follow-the-leader), leaving the body
// backwards and straightening slowly; it lies on the floor inside the walls.
void Colony::update_tail(int i) {
  MouseState& m = states_[i];
  const Agent& a = agents_[i];
  const double segment = 0.95 * m.pose.length_cm / kTailSegments;
  m.tail[0] = a.body.tail_base;
  Vec2 previous_dir = a.body.direction.front() * -1.0;
  for (int k = 1; k <= kTailSegments; ++k) {
    Vec2 d = m.tail[k] - m.tail[k - 1];
    const double len = d.norm();
    d = len > 1e-9 ? d * (1 / len) : previous_dir;
    // Stiffness: each segment leans towards the direction of the one before it.
    const double stiffness = k == 1 ? 0.6 : 0.12;
    d = d * (1 - stiffness) + previous_dir * stiffness;
    d = d * (1 / std::max(d.norm(), 1e-9));
    Vec2 next = m.tail[k - 1] + d * segment;
    next.x = std::clamp(next.x, kWallMarginCm, width_cm_ - kWallMarginCm);
    next.y = std::clamp(next.y, kWallMarginCm, height_cm_ - kWallMarginCm);
    m.tail[k] = next;
    previous_dir = d;
  }
}

void Colony::publish(int i) {
  const Agent& a = agents_[i];
  MouseState& m = states_[i];
  m.behavior = a.behavior;
  m.partner_id = is_social(a.behavior) && a.partner >= 0 ? a.partner + 1 : 0;
  // Drawing order: an allogroomer over its partner, a rearing or running mouse over the
  // others, the two fighters taking turns; ties by id.
  double z = 0.01 * m.id;
  if (a.behavior == Behavior::kRearing || a.behavior == Behavior::kRunning) z += 2;
  if (a.behavior == Behavior::kAllogrooming) z += 3;
  if (a.behavior == Behavior::kCloseInvestigation) z += 1;
  if (a.behavior == Behavior::kFighting && a.sub_flag) z += 1;
  m.z = z;
}

}  // namespace bt::synth

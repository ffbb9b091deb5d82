// The simulated colony (private to synth): N mice in a walled rectangular arena, each
// driven by a behaviour state machine over the default ethogram.
//
// Each mouse runs bouts of one behaviour (a few seconds each) chosen at random; the social
// behaviours pick a partner, walk or run up to it and then act on it:
//   resting        still, curled up (short, wide, bent body, head tucked)
//   rearing        on the hind legs: body foreshortened from above, head larger, in place;
//                  likelier against a wall
//   running        fast translation (25-40 cm/s), body stretched
//   self_grooming  in place, head bent to the flank with a fast small oscillation, or
//                  face grooming (head down, quick bobbing)
//   exploring      slow walk with pauses (4-9 cm/s) and side-to-side head sweeps
//   fighting       both mice circle each other fast, head to tail and in contact
//   allogrooming   nose on the partner's back, slow; the partner holds still (resting)
//   close_investigation  nose kept at the partner's head, flank or tail base
// Walls hold every body point inside; resting mice that overlap drift apart, moving ones
// walk and run over each other, so crossings and contacts are frequent.
// Units: centimetres and seconds, x right and y down from the arena's top-left corner.
// Thread safety: a Colony belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "behavtrack/synth/mouse_body.h"
#include "behavtrack/synth/random.h"

namespace bt::synth {

// In the order of bt::default_behaviors().
enum class Behavior {
  kResting, kRearing, kRunning, kSelfGrooming, kExploring,
  kFighting, kAllogrooming, kCloseInvestigation
};
inline constexpr int kBehaviorCount = 8;
const std::string& behavior_name(Behavior b);
// True for the behaviours that involve a partner.
bool is_social(Behavior b);

enum class Coat { kBlack, kWhite, kAgouti };

// What the renderer and the truth need of one mouse.
struct MouseState {
  int id = 0;                 // 1..N
  Coat coat = Coat::kBlack;
  MousePose pose;
  std::vector<Vec2> tail;     // tail base first, cm
  Behavior behavior = Behavior::kExploring;
  int partner_id = 0;         // the other mouse of a social behaviour, else 0
  double z = 0;               // drawing order: higher is drawn later (on top)
  Vec2 velocity_cm_s;         // of the body centre over the last step
};

class Colony {
 public:
  Colony(int n_mice, double width_cm, double height_cm, std::uint64_t seed);
  ~Colony();

  // Advances the simulation by dt seconds.
  void step(double dt_s);
  // The mice, in id order.
  const std::vector<MouseState>& mice() const { return states_; }

 private:
  struct Agent;
  void place_mice(int n_mice);
  void choose_next(int i);
  void start_bout(int i, Behavior b);
  void start_approach(int i, int partner, Behavior b);
  void update_approach(int i);
  void begin_social(int i);
  void release_partner(int i);
  int pick_partner(int i);
  // Per frame: each behaviour's targets for speed, turning and posture (one function each).
  void control(int i, double dt);
  void control_fight(int i, double dt);
  void control_approach(int i, double dt);
  void control_resting(Agent& a);
  void control_rearing(Agent& a);
  void control_running(int i, double wander);
  void control_self_grooming(Agent& a, double dt);
  void control_exploring(int i, double dt, double wander);
  void control_allogrooming(int i, double dt);
  void control_close_investigation(int i, double dt);
  struct SocialGoal {
    Vec2 nose_at;  // cm
    Vec2 from;     // unit direction from the goal towards the actor's body (0: head-on)
  };
  SocialGoal social_goal(int i) const;
  void approach(int i, const SocialGoal& goal, double max_speed, double max_turn);
  void integrate(int i, double dt);
  void keep_in_arena(int i);
  void avoid_walls(int i);
  void separate_idle_mice(double dt);
  void update_tail(int i);
  void publish(int i);

  double width_cm_, height_cm_;
  double time_s_ = 0;
  Random rng_;
  std::vector<Agent> agents_;
  std::vector<MouseState> states_;
};

}  // namespace bt::synth

// mygame: a Hearth backend. The configuration (config/*.json) says which node runs what:
//   mygame --config config/single.json                  # one node: gate, login, room
//   mygame --config config/cluster.json                 # gate-1, game-1, game-2 as child processes
//   mygame --config config/cluster.json --node game-1   # one node of the cluster (production)
//   mygame --help | --check-config | --print-config | --version

#include "app/application.hpp"
#include "login.hpp"
#include "room.hpp"

int main(int argc, char** argv) {
    hearth::app::application app("mygame");
    app.add_service<mygame::login_service>("login");
    app.add_service<mygame::room_service>("room");
    return app.run(argc, argv);
}

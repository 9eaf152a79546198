export { startWorker, type ConveyorWorker, type WorkerOptions } from "./worker";
export { handlers } from "./handlers";

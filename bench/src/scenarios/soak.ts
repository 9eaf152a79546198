import { os } from "../os-info";

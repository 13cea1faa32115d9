FROM node:20-bookworm-slim
WORKDIR /app
RUN npm i -g pnpm@12.4.2
COPY . .
RUN pnpm install --frozen-lockfile
ENV GANTRY_HOST=0.0.0.0 GANTRY_PORT=4000 GANTRY_DATA_DIR=/data
EXPOSE 4000
CMD ["pnpm", "start"]

// The persisted store as the spec's own stack has it: Sequelize models on MariaDB.
// Message send follows the spec's "Message Send Flow": create the record, load it
// with its relations (sender), then the caller broadcasts. The tables mirror
// Huddle's (users, projects, project_access, tasks, messages with an index on
// (room_type, room_id, id)) so the load generator checks both the same way.

import { Sequelize, DataTypes } from 'sequelize';
import { fixtureUser, PROJECT_CREATOR } from './fixture.mjs';
import { HISTORY_PAGE } from './rules.mjs';

const BATCH = 5000;

function splitUrl(url) {
  const u = new URL(url);
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new Error('the database URL must be mysql://user[:pass]@host:port/db');
  const database = u.pathname.replace(/^\//, '');
  if (!/^[A-Za-z0-9_]+$/.test(database)) throw new Error('the database name must be letters, digits and _');
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    username: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
    database,
  };
}

export class SequelizeStore {
  static async open(url, fixture, { poolMax = 16 } = {}) {
    const conn = splitUrl(url);
    // The database itself: created (empty) for this run.
    const admin = new Sequelize('', conn.username, conn.password, { host: conn.host, port: conn.port, dialect: 'mariadb', logging: false });
    await admin.query(`DROP DATABASE IF EXISTS \`${conn.database}\``);
    await admin.query(`CREATE DATABASE \`${conn.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.close();
    const sequelize = new Sequelize(conn.database, conn.username, conn.password, {
      host: conn.host,
      port: conn.port,
      dialect: 'mariadb',
      logging: false,
      pool: { max: poolMax, min: 1, idle: 60_000 },
      define: { underscored: true, timestamps: false },
    });
    const store = new SequelizeStore(sequelize);
    await sequelize.sync({ force: true });
    await store.loadFixture(fixture);
    return store;
  }

  constructor(sequelize) {
    this.sequelize = sequelize;
    // Fresh objects each time: Sequelize writes into attribute definitions.
    const id = () => ({ type: DataTypes.BIGINT.UNSIGNED, autoIncrement: true, primaryKey: true });
    const ref = () => ({ type: DataTypes.BIGINT.UNSIGNED, allowNull: false });
    this.User = sequelize.define('User', {
      id: id(),
      firstName: { type: DataTypes.STRING(100), allowNull: false },
      lastName: { type: DataTypes.STRING(100), allowNull: false },
      role: { type: DataTypes.ENUM('manager', 'researcher'), allowNull: false },
    }, { tableName: 'users' });
    this.Project = sequelize.define('Project', {
      id: id(),
      name: { type: DataTypes.STRING(200), allowNull: false },
      createdBy: ref(),
    }, { tableName: 'projects' });
    this.ProjectAccess = sequelize.define('ProjectAccess', {
      projectId: { ...ref(), primaryKey: true },
      userId: { ...ref(), primaryKey: true },
    }, { tableName: 'project_access' });
    this.Task = sequelize.define('Task', {
      id: id(),
      projectId: ref(),
      studyId: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      assigneeId: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      title: { type: DataTypes.STRING(200), allowNull: false },
    }, { tableName: 'tasks', indexes: [{ fields: ['project_id', 'assignee_id'] }] });
    this.Message = sequelize.define('Message', {
      id: id(),
      roomType: { type: DataTypes.ENUM('project', 'study'), allowNull: false },
      roomId: ref(),
      senderId: ref(),
      type: { type: DataTypes.ENUM('text', 'image', 'file'), allowNull: false },
      content: { type: DataTypes.TEXT('medium'), allowNull: false },
      fileId: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      fileName: { type: DataTypes.STRING(255), allowNull: true },
      fileSize: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      mimeType: { type: DataTypes.STRING(255), allowNull: true },
      replyToId: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      editedAt: { type: DataTypes.DATE(3), allowNull: true },
      deletedAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: { type: DataTypes.DATE(3), allowNull: false },
      updatedAt: { type: DataTypes.DATE(3), allowNull: false },
    }, { tableName: 'messages', indexes: [{ fields: ['room_type', 'room_id', 'id'] }] });
    this.Message.belongsTo(this.User, { as: 'sender', foreignKey: 'senderId' });
    this.Project.belongsTo(this.User, { as: 'creator', foreignKey: 'createdBy' });
    this.Task.belongsTo(this.Project, { foreignKey: 'projectId' });
  }

  async loadFixture({ users, projects }) {
    for (let from = 1; from <= users; from += BATCH) {
      const rows = [];
      for (let u = from; u < Math.min(from + BATCH, users + 1); u++) rows.push(fixtureUser(u));
      await this.User.bulkCreate(rows);
    }
    const projectRows = [];
    for (let p = 1; p <= projects; p++) projectRows.push({ id: p, name: `Project ${p}`, createdBy: PROJECT_CREATOR });
    await this.Project.bulkCreate(projectRows);
    let tasks = [];
    for (let p = 1; p <= projects; p++) {
      for (let u = 1; u <= users; u++) {
        tasks.push({ projectId: p, assigneeId: u, title: 'Fixture task' });
        if (tasks.length === BATCH) {
          await this.Task.bulkCreate(tasks);
          tasks = [];
        }
      }
    }
    if (tasks.length) await this.Task.bulkCreate(tasks);
  }

  async user(id) {
    const user = await this.User.findByPk(id, { raw: true });
    return user ?? null;
  }

  async roomFacts(user, room) {
    if (room.type !== 'project') return null;
    const project = await this.Project.findByPk(room.id, { attributes: ['id', 'createdBy'], raw: true });
    if (!project) return null;
    if (user.role === 'manager') {
      const grant = await this.ProjectAccess.findOne({ where: { projectId: room.id, userId: user.id }, raw: true });
      return { createdBy: Number(project.createdBy), granted: !!grant, hasTask: false };
    }
    const task = await this.Task.findOne({ where: { projectId: room.id, assigneeId: user.id }, attributes: ['id'], raw: true });
    return { createdBy: Number(project.createdBy), granted: false, hasTask: !!task };
  }

  static shape(row) {
    const m = row.toJSON();
    return { ...m, replyTo: null, file: null };
  }

  async insert(user, room, content) {
    const now = new Date();
    const created = await this.Message.create({
      roomType: room.type,
      roomId: room.id,
      senderId: user.id,
      type: 'text',
      content,
      createdAt: now,
      updatedAt: now,
    });
    const row = await this.Message.findByPk(created.id, {
      include: [{ model: this.User, as: 'sender', attributes: ['id', 'firstName', 'lastName'] }],
    });
    return SequelizeStore.shape(row);
  }

  async latest(room) {
    const rows = await this.Message.findAll({
      where: { roomType: room.type, roomId: room.id },
      order: [['id', 'DESC']],
      limit: HISTORY_PAGE + 1,
      include: [{ model: this.User, as: 'sender', attributes: ['id', 'firstName', 'lastName'] }],
    });
    const hasMore = rows.length > HISTORY_PAGE;
    const page = rows.slice(0, HISTORY_PAGE).reverse().map(SequelizeStore.shape);
    return { messages: page, hasMore, nextCursor: hasMore ? page[0].id : undefined };
  }

  async close() {
    await this.sequelize.close();
  }
}

